/**
 * `{"instances": ["a review", ...]}` for a text model's POST /predict: the strings as its input_ids and
 * attention_mask (ServedText: the model's own tokenizer, what mlctl predict and evaluate use).
 */
import {Float32JsonArray} from './json-body-parser.js'
import type {ServedModel} from './served-model.js'
import type {ServedText} from './served-text.js'
import {invalid} from './tensor-codec.js'
import type {Tensor} from './tensor.js'

export function textInstancesToTensors(model: ServedModel, text: ServedText, body: unknown): Tensor[] {
  const instances = (body as {instances?: unknown} | null)?.instances
  if (
    instances instanceof Float32JsonArray ||
    !Array.isArray(instances) ||
    instances.length === 0 ||
    !instances.every((instance) => typeof instance === 'string')
  )
    throw invalid(
      `model "${model.name}" takes text: send {"instances": ["a text", ...]} with at least one string (or a BYTES "text" input to /v2/models/${model.name}/infer)`,
    )
  return text.tensors(instances)
}

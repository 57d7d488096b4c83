/**
 * `{"instances": ["a review", ...]}` for a text model: each string tokenized with the model's own tokenizer
 * (ModelTokenIds, what mlctl predict and evaluate use) to the model's sequence length, as its input_ids and
 * attention_mask. Every request has that length, so the dynamic batcher merges text requests like any other:
 * the answers are the ones predict gives, at the cost of running padding for short texts.
 */
import {tokenFeeds} from '../engine/index.js'
import type {ModelTokenIds} from '../text/model-token-ids.js'
import {Float32JsonArray} from './json-body-parser.js'
import type {ServedModel} from './served-model.js'
import {invalid} from './tensor-codec.js'
import type {Tensor} from './tensor.js'

export function textInstancesToTensors(model: ServedModel, tokens: ModelTokenIds, body: unknown): Tensor[] {
  const instances = (body as {instances?: unknown} | null)?.instances
  if (
    instances instanceof Float32JsonArray ||
    !Array.isArray(instances) ||
    instances.length === 0 ||
    !instances.every((text) => typeof text === 'string')
  )
    throw invalid(
      `model "${model.name}" takes text: send {"instances": ["a text", ...]} with at least one string (token ids go to /v2/models/${model.name}/infer)`,
    )
  const shape = [instances.length, tokens.width]
  const feeds = tokenFeeds(tokens.encode(instances), shape, tokens.padId)
  return Object.entries(feeds).map(([name, feed]) => ({
    name,
    datatype: 'INT64',
    shape,
    data: feed.data as BigInt64Array,
  }))
}

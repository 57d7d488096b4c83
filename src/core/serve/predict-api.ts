/**
 * POST /predict, the route for people and curl: `{"instances": [example, ...]}` in, one prediction per
 * example out, with the class index, its name from the model's `class_names` metadata, and the class
 * probabilities. Works for classifiers with a single input.
 */
import {Float32JsonArray} from './json-body-parser.js'
import type {ServedModel} from './served-model.js'
import {invalid, typedArrayFrom} from './tensor-codec.js'
import {elementCount, type Tensor} from './tensor.js'

export interface Prediction {
  class: number
  label: string
  probabilities: number[]
}

export async function predict(
  model: ServedModel,
  body: unknown,
): Promise<{model_name: string; predictions: Prediction[]}> {
  const input = instancesToTensor(model, body)
  const scoreOutput = pickScoreOutput(model)
  const [scores] = await model.infer([input], [scoreOutput.name])
  const classes = scores.shape[1]
  const predictions: Prediction[] = []
  for (let row = 0; row < scores.shape[0]; row++) {
    const values = Array.from((scores.data as Float32Array).subarray(row * classes, (row + 1) * classes))
    const probabilities = scoreOutput.isProbability ? values : softmax(values)
    const best = probabilities.indexOf(Math.max(...probabilities))
    predictions.push({class: best, label: model.classNames?.[best] ?? String(best), probabilities})
  }
  return {model_name: model.name, predictions}
}

function instancesToTensor(model: ServedModel, body: unknown): Tensor {
  const inputs = model.signature.inputs
  if (inputs.length !== 1)
    throw invalid(
      `POST /predict needs a model with one input; "${model.name}" has ${inputs.length}: use /v2/models/${model.name}/infer`,
    )
  const [spec] = inputs
  const exampleShape = spec.shape.slice(1)
  if (exampleShape.some((dim) => dim < 0))
    throw invalid(
      `POST /predict needs fixed example dimensions; "${spec.name}" is [${spec.shape.join(',')}]: use /v2/models/${model.name}/infer with a shape`,
    )
  let instances = (body as {instances?: unknown} | null)?.instances
  const fastFloats = instances instanceof Float32JsonArray && spec.datatype === 'FP32' ? instances.values : undefined
  if (instances instanceof Float32JsonArray) instances = instances.json()
  if (!Array.isArray(instances) || instances.length === 0)
    throw invalid('POST /predict needs {"instances": [example, ...]} with at least one example')
  const shape = [instances.length, ...exampleShape]
  const values = fastFloats ?? instances.flat(Infinity)
  if (values.length !== elementCount(shape)) {
    throw invalid(
      `each instance needs ${elementCount(exampleShape)} values (shape [${exampleShape.join(',')}]); got ${values.length} values for ${instances.length} instances`,
    )
  }
  const data = fastFloats ?? typedArrayFrom({name: spec.name, datatype: spec.datatype, shape}, values as unknown[])
  return {name: spec.name, datatype: spec.datatype, shape, data}
}

/** A `probabilities` output if the model has one; else `logits` or the first FP32 [N, classes] output. */
function pickScoreOutput(model: ServedModel): {name: string; isProbability: boolean} {
  const classifierOutputs = model.signature.outputs.filter(
    (spec) => spec.datatype === 'FP32' && spec.shape.length === 2,
  )
  const probabilities = classifierOutputs.find((spec) => spec.name === 'probabilities')
  if (probabilities) return {name: probabilities.name, isProbability: true}
  const logits = classifierOutputs.find((spec) => spec.name === 'logits') ?? classifierOutputs[0]
  if (logits) return {name: logits.name, isProbability: false}
  throw invalid(
    `POST /predict works for classifiers with an FP32 [N, classes] output; "${model.name}" has none: use /v2/models/${model.name}/infer`,
  )
}

function softmax(values: number[]): number[] {
  const max = Math.max(...values)
  const exps = values.map((value) => Math.exp(value - max))
  const sum = exps.reduce((a, b) => a + b, 0)
  return exps.map((value) => value / sum)
}

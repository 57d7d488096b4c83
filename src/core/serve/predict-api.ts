/**
 * POST /predict (and /v2/models/NAME/predict), the route for people and curl: JSON `{"instances": [example,
 * ...]}` (numbers, rows by column name for a table model, or strings for a text model), an image body, or
 * image files in multipart/form-data in; one prediction per example or image out: the class index, its name from the
 * model's `class_names` metadata, its probability and every class's probabilities; or a regression model's
 * value. Works for models with a single input, and for text models (input_ids and attention_mask).
 */
import {parseJsonBody, Float32JsonArray} from './json-body-parser.js'
import {type ImageUploadOptions, imagesToTensor} from './image-upload.js'
import {isNamedRows, namedRowsToTensor} from './named-rows.js'
import type {PredictBody} from './predict-body.js'
import {classProbabilities} from '../predict/prediction.js'
import type {ServedModel} from './served-model.js'
import {servedInputs} from './served-inputs.js'
import {invalid, typedArrayFrom} from './tensor-codec.js'
import {textInstancesToTensors} from './text-instances.js'
import {elementCount, type Tensor} from './tensor.js'

export type ServedPrediction =
  | {file?: string; class: number; label: string; probability: number; probabilities: number[]}
  | {file?: string; value: number; values?: number[]}

export async function predict(
  model: ServedModel,
  body: PredictBody,
  options: ImageUploadOptions = {},
): Promise<{model_name: string; predictions: ServedPrediction[]}> {
  const inputs = model.signature.inputs
  const {reading, scoreOutput} = servedInputs(model)
  const {text} = model
  if (inputs.length !== 1 && !text)
    throw invalid(
      `POST /predict needs a model with one input; "${model.name}" has ${inputs.length}: use /v2/models/${model.name}/infer`,
    )
  if (text && body.kind === 'images')
    throw invalid(`model "${model.name}" takes text, not images: send {"instances": ["a text", ...]}`)
  const tensors =
    body.kind === 'images'
      ? [await imagesToTensor(model, body.images, options)]
      : text
        ? textInstancesToTensors(model, text, parseJsonBody(body.body))
        : [instancesToTensor(model, parseJsonBody(body.body))]
  const [scores] = await model.infer(tensors, [scoreOutput])
  const rows = scores.shape[0]
  const width = scores.shape[1] ?? 1
  const values = scores.data as Float32Array
  const predictions: ServedPrediction[] = []
  for (let row = 0; row < rows; row++) {
    const name = body.kind === 'images' ? body.images[row].name : undefined
    const file = name === undefined ? {} : {file: name}
    const scoresOfRow = values.subarray(row * width, (row + 1) * width)
    if (reading.task === 'regression') {
      predictions.push(
        width === 1
          ? {...file, value: scoresOfRow[0]}
          : {...file, value: scoresOfRow[0], values: Array.from(scoresOfRow)},
      )
      continue
    }
    const probabilities = Array.from(classProbabilities(scoresOfRow, {...reading, binary: width === 1}))
    let best = 0
    for (let c = 1; c < probabilities.length; c++) if (probabilities[c] > probabilities[best]) best = c
    predictions.push({
      ...file,
      class: best,
      label: model.classNames?.[best] ?? String(best),
      probability: probabilities[best],
      probabilities,
    })
  }
  return {model_name: model.name, predictions}
}

function instancesToTensor(model: ServedModel, body: unknown): Tensor {
  const [spec] = model.signature.inputs
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
  if (fastFloats === undefined && isNamedRows(instances)) return namedRowsToTensor(model, instances)
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

/**
 * What /predict needs to know about a served model beyond its signature, read once from its ONNX metadata:
 * how an uploaded image becomes its input (the same plan as mlctl predict), the columns of a table model,
 * and how to read its output.
 */
import type {TableRowSchema} from '../data/index.js'
import {UserError} from '../errors.js'
import type {Standardization} from '../model/standardization.js'
import {fromMetadataProps, type ModelMetadata} from '../onnx/model-metadata.js'
import {type ImageInput, planImageInput} from '../predict/image-input.js'
import {isIdentityScaling} from '../predict/input-scaling.js'
import type {OutputReading} from '../predict/prediction.js'
import {ServeError} from './serve-error.js'
import type {ServedModel} from './served-model.js'

export interface ServedInputs {
  metadata: ModelMetadata
  /** The model's input_normalization as a standardization, unless it is the identity. */
  normalization?: Standardization
  /** Table models: the columns named rows must have. */
  table?: TableRowSchema
  reading: Omit<OutputReading, 'width'> & {width?: number}
  scoreOutput: string
}

const known = new WeakMap<ServedModel, ServedInputs>()
const imagePlans = new WeakMap<ServedModel, ImageInput>()

export function servedInputs(model: ServedModel): ServedInputs {
  let inputs = known.get(model)
  if (!inputs) {
    inputs = readServedInputs(model)
    known.set(model, inputs)
  }
  return inputs
}

/** How an uploaded image becomes the model's input; a 400 when the model does not take images. */
export function servedImageInput(model: ServedModel): ImageInput {
  let plan = imagePlans.get(model)
  if (!plan) {
    const [input] = model.signature.inputs
    const {metadata, normalization} = servedInputs(model)
    try {
      plan = planImageInput(
        {
          name: input.name,
          type: input.datatype === 'UINT8' ? 'uint8' : input.datatype === 'FP32' ? 'float32' : input.datatype,
          shape: input.shape,
        },
        {imagePreprocessing: metadata.imagePreprocessing, inputNormalization: normalization},
      )
    } catch (error) {
      if (error instanceof UserError)
        throw new ServeError('invalid_argument', `model "${model.name}" cannot take images: ${error.message}`)
      throw error
    }
    imagePlans.set(model, plan)
  }
  return plan
}

function readServedInputs(model: ServedModel): ServedInputs {
  const {metadata} = fromMetadataProps(model.properties)
  const n = metadata.inputNormalization
  const table = metadata.tablePreprocessing
  const outputs = model.signature.outputs.filter((spec) => spec.datatype === 'FP32' && spec.shape.length === 2)
  const score =
    outputs.find((spec) => spec.name === 'probabilities') ??
    outputs.find((spec) => spec.name === 'logits') ??
    outputs[0]
  if (!score)
    throw new ServeError(
      'invalid_argument',
      `POST /predict reads an FP32 [N, values] output; "${model.name}" has none: use /v2/models/${model.name}/infer`,
    )
  const width = score.shape[1] > 0 ? score.shape[1] : undefined
  const reading: ServedInputs['reading'] =
    metadata.task === 'regression'
      ? {task: 'regression', kind: 'values', width, binary: false}
      : {
          task: 'classification',
          kind: score.name === 'probabilities' ? 'probabilities' : 'logits',
          width,
          binary: width === 1,
          classNames: model.classNames,
        }
  return {
    metadata,
    ...(n && !isIdentityScaling(n) && {normalization: {scale: n.scale, mean: n.mean, std: n.std}}),
    ...(table && {table: {columns: table.columns, columnEncodings: table.columnEncodings, target: table.target}}),
    reading,
    scoreOutput: score.name,
  }
}

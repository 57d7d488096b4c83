/**
 * predict's MODEL argument opened for prediction: evaluate's model loading (a run directory through the
 * graph export writes, or an .onnx file with its metadata), then what its input takes (images or table
 * rows) and how to read its output.
 */
import type {InferenceSession} from 'onnxruntime-node'

import type {TableRowSchema} from '../data/index.js'
import {outputWidth, pickOutput} from '../evaluate/evaluation-plan.js'
import {type EvaluationModel, openEvaluationModel} from '../evaluate/model-source.js'
import {UserError} from '../errors.js'
import type {Standardization} from '../model/standardization.js'
import {ModelTokenIds} from '../text/model-token-ids.js'
import {type ImageInput, type ImageInputOverrides, planImageInput} from './image-input.js'
import {isIdentityScaling, overrideScaling} from './input-scaling.js'
import type {OutputReading} from './prediction.js'

export interface TableInput {
  name: string
  schema: TableRowSchema
  /** (x - mean) / std of the encoded features, when the model expects it done outside its graph. */
  normalization?: Standardization
}

export interface PredictionModel {
  source: EvaluationModel
  input:
    | {kind: 'image'; image: ImageInput}
    | {kind: 'table'; table: TableInput}
    /** pad: 'longest' when the model takes any sequence length (each batch is padded to its longest text). */
    | {kind: 'text'; tokens: ModelTokenIds; pad: 'model' | 'longest'}
  output: {name: string; reading: Omit<OutputReading, 'width'> & {width?: number}}
}

export async function openPredictionModel(
  path: string,
  overrides: ImageInputOverrides,
  threads: number,
): Promise<PredictionModel> {
  const source = await openEvaluationModel(path, threads)
  try {
    const inputs = source.session.inputMetadata
    if (source.facts.text) {
      checkTokenInputs(
        inputs.map((i) => i.name),
        overrides,
      )
      const tokens = new ModelTokenIds(source.facts.text)
      return {source, input: {kind: 'text', tokens, pad: tokenPadding(inputs)}, output: planOutput(source)}
    }
    if (inputs.length !== 1)
      throw new UserError(
        `the model has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); predict feeds models with one input`,
      )
    const spec = inputs[0] as InferenceSession.ValueMetadata & {type?: string; shape?: Array<number | string>}
    if (!spec.isTensor || !spec.shape || !spec.type)
      throw new UserError(`the model's input "${spec.name}" is not a tensor; predict feeds images or table rows`)
    const declared = {name: spec.name, type: spec.type, shape: spec.shape}
    const input =
      spec.shape.length === 2
        ? {kind: 'table' as const, table: planTableInput(source, declared, overrides)}
        : {kind: 'image' as const, image: planImageInput(declared, source.facts, overrides)}
    return {source, input, output: planOutput(source)}
  } catch (error) {
    await source.session.release()
    throw error
  }
}

/** The inputs evaluate feeds a text model (evaluation-plan.ts), which mlctl's token models and BERT's share. */
function checkTokenInputs(names: string[], overrides: ImageInputOverrides): void {
  if ([...names].sort().join() !== 'attention_mask,input_ids')
    throw new UserError(
      `the model records a tokenizer but its inputs are ${names.join(', ')}; predict feeds text models input_ids and attention_mask`,
    )
  if (overrides.size || overrides.channels || overrides.resize || overrides.scaling)
    throw new UserError(
      '--image-size, --channels, --resize and --input-scale/--input-mean/--input-std apply to image models; this model takes text',
      2,
    )
}

/** 'longest' when every token input's sequence dimension is symbolic (mlctl exports it so), else 'model'. */
function tokenPadding(inputs: readonly InferenceSession.ValueMetadata[]): 'model' | 'longest' {
  const anyLength = inputs.every((input) => input.isTensor && typeof input.shape[1] === 'string')
  return anyLength ? 'longest' : 'model'
}

function planTableInput(
  source: EvaluationModel,
  input: {name: string; type: string},
  overrides: ImageInputOverrides,
): TableInput {
  const {facts} = source
  if (input.type !== 'float32')
    throw new UserError(`the model's input "${input.name}" is ${input.type}; table rows feed float32 inputs`)
  if (!facts.featureNames)
    throw new UserError(
      `the model takes rows of ${input.name} but does not name its columns; predict reads table models trained or exported by mlctl`,
      2,
    )
  if (overrides.size || overrides.channels || overrides.resize)
    throw new UserError('--image-size, --channels and --resize apply to image models; this model takes table rows', 2)
  const normalization = overrideScaling(facts.inputNormalization, overrides.scaling)
  return {
    name: input.name,
    schema: {columns: facts.featureNames, columnEncodings: facts.columnEncodings, target: facts.targetName},
    ...(normalization && !isIdentityScaling(normalization) && {normalization}),
  }
}

/** Reads the output as evaluate does: mlctl's logits or probabilities, a binary model's single score. */
function planOutput(source: EvaluationModel): PredictionModel['output'] {
  const {facts} = source
  const output = pickOutput(source.session.outputMetadata)
  const width = outputWidth(output)
  if (facts.task === 'regression')
    return {name: output.name, reading: {task: 'regression', kind: 'values', width, binary: false}}
  const classNames = facts.classNames
  if (classNames && width !== undefined && width !== classNames.length && !(width === 1 && classNames.length === 2))
    throw new UserError(
      `the model outputs ${width} scores per example but its metadata names ${classNames.length} classes; re-export it`,
    )
  return {
    name: output.name,
    reading: {
      task: 'classification',
      kind: output.name === 'probabilities' ? 'probabilities' : 'logits',
      width,
      binary: width === 1 || facts.loss?.name === 'binaryCrossEntropy',
      classNames,
    },
  }
}

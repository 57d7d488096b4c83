/**
 * Checks a dataset against a model before anything runs (input shape and element type, task, class
 * count and names, feature columns) and settles how to feed it and read the output. Every mismatch is
 * one UserError here, never a failure inside onnxruntime.
 */
import type {InferenceSession} from 'onnxruntime-node'

import type {Dataset} from '../data/index.js'
import {UserError} from '../errors.js'
import type {ScoreKind} from './classification-report.js'
import type {Standardization} from '../model/standardization.js'
import type {EvaluationModel} from './model-source.js'
import type {RegressionLoss} from './regression-report.js'

export interface EvaluationPlan {
  task: Dataset['task']
  input: {
    name: string
    type: 'uint8' | 'float32' | 'int64'
    /** Token models: the int32 ids are fed as int64 input_ids plus an attention_mask (1 where id !== padId). */
    tokens?: {padId: number; maskName: string}
    /** As the model declares it, batch first; strings are symbolic dimensions. */
    shape: Array<number | string>
    /**
     * How the raw examples become a float32 input: (x * scale - mean) / std, or 'cast' for uint8 data fed
     * as stored (the values stay 0-255; mlctl's own graphs scale inside).
     */
    conversion?: 'cast' | Standardization
    /**
     * Float32 inputs: who says how to scale them. model: its input_normalization (or a run's graph, which
     * scales inside); flags: --input-scale/--input-mean/--input-std, each replacing the model's part;
     * none: nobody, so the values are fed as stored.
     */
    scaling?: 'model' | 'flags' | 'none'
    /** The model only takes batches of exactly this many rows. */
    fixedBatch?: number
  }
  /** Classification scores as logits or probabilities; regression predicted values. */
  output: {name: string; kind: ScoreKind | 'values'}
  /** Values the model outputs per example: classes, 1 for a binary classifier, or regression targets. */
  outputWidth: number
  /** Classification: class names in the model's output order. */
  classNames?: string[]
  binary: boolean
  /** Classification: dataset label -> model class index, when the two orders differ. */
  labelMap?: Int32Array
  regressionLoss?: RegressionLoss
}

/** What --input-scale, --input-mean and --input-std set. */
export type InputScaling = Partial<Standardization>

export function planEvaluation(model: EvaluationModel, dataset: Dataset, scaling?: InputScaling): EvaluationPlan {
  const {facts} = model
  if (facts.task && facts.task !== dataset.task) {
    throw new UserError(
      `the model is a ${facts.task} model but ${dataset.name} is a ${dataset.task} dataset; evaluate it on data like it was trained on`,
      2,
    )
  }
  if (
    facts.featureNames &&
    dataset.featureNames &&
    facts.featureNames.join('\u0000') !== dataset.featureNames.join('\u0000')
  ) {
    throw new UserError(
      `${dataset.name} has the feature columns ${dataset.featureNames.join(', ')} but the model was trained on ${facts.featureNames.join(', ')} (same names, same order)`,
      2,
    )
  }
  const input = planInput(model, dataset, scaling)
  const output = pickOutput(model.session.outputMetadata)
  const declaredWidth = outputWidth(output)

  if (dataset.task === 'regression') {
    const targets = dataset.train.targets.length / dataset.train.count
    if (declaredWidth !== undefined && declaredWidth !== targets) {
      throw new UserError(
        `the model outputs ${declaredWidth} values per example but ${dataset.name} has ${targets} target${targets === 1 ? '' : 's'}; use the data it was trained on`,
        2,
      )
    }
    const loss = facts.loss?.name === 'mae' || facts.loss?.name === 'huber' ? facts.loss : {name: 'mse' as const}
    return {
      task: 'regression',
      input,
      output: {name: output.name, kind: 'values'},
      outputWidth: targets,
      binary: false,
      regressionLoss: loss,
    }
  }

  const datasetNames = dataset.classNames ?? []
  const classNames = facts.classNames ?? datasetNames
  const binary = classNames.length === 2 && (declaredWidth === 1 || facts.loss?.name === 'binaryCrossEntropy')
  const width = binary ? 1 : classNames.length
  if (declaredWidth !== undefined && declaredWidth !== width) {
    throw new UserError(
      `the model outputs ${declaredWidth} scores per example but ${facts.classNames ? 'its metadata names' : `${dataset.name} has`} ${classNames.length} classes; evaluate it on the data it was trained on`,
      2,
    )
  }
  const kind: ScoreKind = output.name === 'probabilities' ? 'probabilities' : 'logits'
  return {
    task: 'classification',
    input,
    output: {name: output.name, kind},
    outputWidth: width,
    classNames,
    binary,
    labelMap: labelMap(datasetNames, classNames, dataset.name),
  }
}

function planInput(model: EvaluationModel, dataset: Dataset, scaling?: InputScaling): EvaluationPlan['input'] {
  const inputs = model.session.inputMetadata
  const names = inputs.map((i) => i.name)
  if (names.includes(TOKEN_INPUTS.ids) && names.includes(TOKEN_INPUTS.mask))
    return planTokenInput(model, dataset, scaling)
  if (inputs.length !== 1)
    throw new UserError(
      `the model has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); evaluate feeds models with one input`,
    )
  const input = inputs[0]
  if (!input.isTensor || (input.type !== 'uint8' && input.type !== 'float32')) {
    throw new UserError(
      `the model's input "${input.name}" is ${input.isTensor ? input.type : 'not a tensor'}; evaluate feeds uint8 or float32 tensors`,
    )
  }
  const shape = [...input.shape]
  const expected = ['batch', ...dataset.inputShape]
  const fits =
    shape.length === 0 ||
    (shape.length === expected.length &&
      shape.every((dim, i) => i === 0 || typeof dim !== 'number' || dim === expected[i]))
  if (!fits) {
    throw new UserError(
      `the model's input "${input.name}" is [${shape.join(', ')}] but ${dataset.name}'s examples are [${dataset.inputShape.join(', ')}] (plus a batch dimension); use the data it was trained on (images are channels-first, NCHW)`,
      2,
    )
  }
  const batch = shape[0]
  const fixedBatch = typeof batch === 'number' && batch > 0 ? batch : undefined
  const dataType = dataset.train.inputs instanceof Uint8Array ? 'uint8' : 'float32'
  if (input.type === 'uint8') {
    if (dataType !== 'uint8')
      throw new UserError(
        `the model takes uint8 inputs (image bytes) but ${dataset.name}'s inputs are float32; use the data it was trained on`,
        2,
      )
    if (scaling)
      throw new UserError(
        `--input-scale, --input-mean and --input-std apply to float32 inputs; the model's input "${input.name}" takes the uint8 values as stored and scales them itself`,
        2,
      )
    return {name: input.name, type: input.type, shape, fixedBatch}
  }
  const own = model.facts.inputNormalization
  const source = scaling ? 'flags' : own ? 'model' : 'none'
  const standardization = scaling
    ? {
        scale: scaling.scale ?? own?.scale ?? 1,
        mean: scaling.mean ?? own?.mean ?? [0],
        std: scaling.std ?? own?.std ?? [1],
      }
    : own
  if (standardization) checkChannels(standardization, dataset, source === 'flags')
  const conversion =
    standardization && !isIdentity(standardization) ? standardization : dataType === 'uint8' ? 'cast' : undefined
  return {name: input.name, type: input.type, shape, fixedBatch, ...(conversion && {conversion}), scaling: source}
}

/** The names mlctl's exported text models (and BERT-style models) give their two inputs. */
const TOKEN_INPUTS = {ids: 'input_ids', mask: 'attention_mask'}

function planTokenInput(model: EvaluationModel, dataset: Dataset, scaling?: InputScaling): EvaluationPlan['input'] {
  if (!dataset.text || !(dataset.train.inputs instanceof Int32Array))
    throw new UserError(
      `the model takes text (input_ids, attention_mask) but ${dataset.name} is not text; evaluate it on text data`,
      2,
    )
  if (scaling) throw new UserError('--input-scale, --input-mean and --input-std do not apply to a text model', 2)
  const ids = model.session.inputMetadata.find((i) => i.name === TOKEN_INPUTS.ids)!
  const shape = ids.isTensor ? [...ids.shape] : []
  const batch = shape[0]
  return {
    name: TOKEN_INPUTS.ids,
    type: 'int64',
    tokens: {padId: dataset.text.padId, maskName: TOKEN_INPUTS.mask},
    shape,
    ...(typeof batch === 'number' && batch > 0 && {fixedBatch: batch}),
  }
}

/** Scales by 1 and standardizes by nothing: the values reach the model as stored. */
function isIdentity({scale, mean, std}: Standardization): boolean {
  return scale === 1 && mean.every((m) => m === 0) && std.every((d) => d === 1)
}

function checkChannels({mean, std}: Standardization, dataset: Dataset, fromFlags: boolean): void {
  const channels = dataset.inputShape[0]
  for (const [name, values] of [
    ['mean', mean],
    ['std', std],
  ] as const) {
    if (values.length !== 1 && values.length !== channels) {
      throw new UserError(
        fromFlags
          ? `the input ${name} has ${values.length} values but ${dataset.name} has ${channels} channels or features; pass --input-${name} with one value, or one per channel`
          : `the model's input_normalization has ${values.length} ${name} values but ${dataset.name} has ${channels} channels or features`,
        fromFlags ? 2 : 1,
      )
    }
  }
}

/** mlctl's `logits`, else its `probabilities`, else the model's only float32 output. */
export function pickOutput(outputs: readonly InferenceSession.ValueMetadata[]): InferenceSession.TensorValueMetadata {
  const tensors = outputs.filter((o): o is InferenceSession.TensorValueMetadata => o.isTensor && o.type === 'float32')
  const named = tensors.find((o) => o.name === 'logits') ?? tensors.find((o) => o.name === 'probabilities')
  if (named) return named
  if (tensors.length === 1) return tensors[0]
  const names = outputs.map((o) => o.name).join(', ')
  throw new UserError(
    tensors.length === 0
      ? `the model has no float32 output (outputs: ${names}); evaluate reads class scores or predicted values`
      : `the model has several float32 outputs (${names}) and none is named logits or probabilities; evaluate cannot tell which holds the scores`,
  )
}

/** The declared values per example, or undefined when the model leaves it symbolic. [batch] counts as one. */
export function outputWidth(output: InferenceSession.TensorValueMetadata): number | undefined {
  const shape = output.shape
  if (shape.length === 1) return 1
  if (shape.length === 2) return typeof shape[1] === 'number' ? shape[1] : undefined
  if (shape.length === 0) return undefined
  throw new UserError(`the model's output "${output.name}" is [${shape.join(', ')}]; evaluate reads [batch, values]`)
}

/** The model's class order may differ from the data's (e.g. a CSV whose labels sort differently); match by name. */
function labelMap(datasetNames: string[], modelNames: string[], dataset: string): Int32Array | undefined {
  const map = Int32Array.from(datasetNames, (name) => modelNames.indexOf(name))
  const unknown = datasetNames.filter((name) => !modelNames.includes(name))
  if (unknown.length > 0) {
    throw new UserError(
      `${dataset} has classes the model does not know (${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', …' : ''}); the model's classes are ${modelNames.slice(0, 10).join(', ')}${modelNames.length > 10 ? ', …' : ''}`,
      2,
    )
  }
  return map.every((m, i) => m === i) ? undefined : map
}

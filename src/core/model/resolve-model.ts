import {UserError} from '../errors.js'
import {inferLayerShape} from './layer-shapes.js'
import type {ParameterInfo} from './parameters.js'
import type {InputType, LayerSpec, ModelSpec} from './spec.js'

/** A layer with its name, shapes (without the batch dimension) and parameters. */
export interface ResolvedLayer<S extends LayerSpec = LayerSpec> {
  /** Position in spec.layers (0-based). */
  index: number
  /** `${type}_${n}`, counting layers of the same type from 1: 'conv2d_1', 'dense_2'. */
  name: string
  spec: S
  inputShape: number[]
  outputShape: number[]
  parameters: ParameterInfo[]
}

/** A checked model spec with every shape known. */
export interface ResolvedModel {
  spec: ModelSpec
  inputShape: number[]
  inputType: InputType
  layers: ResolvedLayer[]
  /** Size of the (flat) model output. */
  outputs: number
  /** All parameter tensors in layer order, trainable or not. */
  parameters: ParameterInfo[]
  /**
   * The last layer is softmax: the output before it is the logits; cross-entropy fuses the softmax
   * into the loss, and inference models can add it back as `probabilities`.
   */
  endsWithSoftmax: boolean
}

/** Checks a spec (it may come from a hand-written file) and infers every layer's shape; throws UserError. */
export function resolveModel(spec: ModelSpec): ResolvedModel {
  if (typeof spec !== 'object' || spec === null)
    throw new UserError('the model spec must be a JSON object with inputShape and layers')
  const inputShape = checkInputShape(spec.inputShape)
  const inputType = spec.inputType ?? 'float32'
  if (inputType !== 'uint8' && inputType !== 'float32') {
    throw new UserError(`inputType must be 'uint8' or 'float32', got ${JSON.stringify(inputType)}`)
  }
  if (spec.normalize !== undefined) checkNormalize(spec.normalize, inputShape[0])
  if (spec.denormalize !== undefined) checkDenormalize(spec.denormalize)
  if (!Array.isArray(spec.layers) || spec.layers.length === 0)
    throw new UserError('the model spec needs a non-empty "layers" list')

  const layers = resolveLayers(inputShape, spec.layers)
  checkModelSize(layers)
  layers.forEach((layer, i) => {
    if (layer.spec.type === 'softmax' && i !== layers.length - 1) {
      throw new UserError(`layer ${i + 1} softmax: softmax is only allowed as the last layer`)
    }
  })
  const outputShape = layers[layers.length - 1].outputShape
  if (outputShape.length !== 1) {
    throw new UserError(`the model's output is ${outputShape.join('x')}; end it with flatten and dense layers`)
  }
  const parameters = layers.flatMap((l) => l.parameters)
  if (!parameters.some((p) => p.trainable))
    throw new UserError('the model has no trainable parameters; add a dense or conv2d layer')
  return {
    spec,
    inputShape,
    inputType,
    layers,
    outputs: outputShape[0],
    parameters,
    endsWithSoftmax: layers[layers.length - 1].spec.type === 'softmax',
  }
}

/** Shape inference over a list of layers, without the whole-model checks of resolveModel. */
export function resolveLayers(inputShape: number[], specs: LayerSpec[]): ResolvedLayer[] {
  const counts = new Map<string, number>()
  let shape = inputShape
  return specs.map((spec, index) => {
    const {outputShape, parameters} = inferLayerShape(spec, index, shape)
    const n = (counts.get(spec.type) ?? 0) + 1
    counts.set(spec.type, n)
    const name = `${spec.type}_${n}`
    const layer: ResolvedLayer = {
      index,
      name,
      spec,
      inputShape: shape,
      outputShape,
      parameters: parameters.map((p) => ({...p, name: `${name}/${p.role}`, layerName: name, layerIndex: index})),
    }
    shape = outputShape
    return layer
  })
}

/**
 * The most parameters a model may have: 2 GiB as float32, the most one ONNX file (a protobuf message) can hold,
 * and export writes every weight into one. Checked before anything is allocated for the weights.
 */
export const MAX_PARAMETERS = 2 ** 29

function checkModelSize(layers: ResolvedLayer[]): void {
  const counts = layers.map((layer) => layer.parameters.reduce((sum, p) => sum + p.shape.reduce((a, b) => a * b, 1), 0))
  const total = counts.reduce((a, b) => a + b, 0)
  if (total <= MAX_PARAMETERS) return
  const largest = counts.indexOf(Math.max(...counts))
  const count = (n: number) => n.toLocaleString('en-US')
  throw new UserError(
    `the model has ${count(total)} parameters (${(total * 4e-9).toFixed(1)} GB as float32), more than the ` +
      `${count(MAX_PARAMETERS)} (2 GiB) an ONNX file can hold; layer ${largest + 1} ${layers[largest].spec.type} ` +
      `alone has ${count(counts[largest])}: give it fewer units or filters`,
  )
}

function checkInputShape(shape: unknown): number[] {
  const ok =
    Array.isArray(shape) &&
    (shape.length === 1 || shape.length === 3) &&
    shape.every((d) => Number.isInteger(d) && d > 0)
  if (!ok) {
    throw new UserError(
      `inputShape must be [channels, height, width] or [features] of positive integers, got ${JSON.stringify(shape)}`,
    )
  }
  return shape as number[]
}

function checkDenormalize(denormalize: {mean: number; std: number}): void {
  const {mean, std} = denormalize ?? {}
  if (!Number.isFinite(mean) || !Number.isFinite(std) || !(std > 0))
    throw new UserError(`denormalize must be {"mean": number, "std": number > 0}, got ${JSON.stringify(denormalize)}`)
}

function checkNormalize(normalize: {mean: number[]; std: number[]}, channels: number): void {
  for (const key of ['mean', 'std'] as const) {
    const values: unknown = normalize?.[key]
    const ok =
      Array.isArray(values) &&
      (values.length === 1 || values.length === channels) &&
      values.every((v) => Number.isFinite(v))
    if (!ok)
      throw new UserError(`normalize.${key} must be a list of 1 or ${channels} numbers, got ${JSON.stringify(values)}`)
  }
  if (normalize.std.some((s) => s <= 0)) throw new UserError('normalize.std values must be > 0')
}

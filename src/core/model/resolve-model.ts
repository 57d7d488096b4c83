import {UserError} from '../errors.js'
import {inferLayerShape} from './layer-shapes.js'
import type {ParameterInfo} from './parameters.js'
import type {CategoryEmbeddingSpec, InputType, LayerSpec, ModelSpec, ParallelSpec} from './spec.js'

/** A layer with its name, shapes (without the batch dimension) and parameters. */
export interface ResolvedLayer<S extends LayerSpec = LayerSpec> {
  /** Position in spec.layers (0-based). */
  index: number
  /** `${type}_${n}`, counting layers of the same type from 1: 'conv2d_1', 'dense_2'. */
  name: string
  spec: S
  inputShape: number[]
  outputShape: number[]
  /** Every parameter of the layer, a parallel layer's being those of its branches' layers. */
  parameters: ParameterInfo[]
  /** Parallel layers: each branch's layers, named in the same count as the top-level layers. */
  branches?: ResolvedLayer[][]
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
  const inputType = spec.inputType ?? 'float32'
  if (inputType !== 'uint8' && inputType !== 'float32' && inputType !== 'int32') {
    throw new UserError(`inputType must be 'uint8', 'float32' or 'int32' (token ids), got ${JSON.stringify(inputType)}`)
  }
  const inputShape = checkInputShape(spec.inputShape, inputType)
  checkTokenInputs(spec, inputType)
  if (spec.normalize !== undefined) checkNormalize(spec.normalize, inputShape[0])
  checkCategoryColumns(spec, inputType)
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
  return resolveLayerList(inputShape, specs, new Map(), undefined)
}

/**
 * Layers inside a parallel branch count in `counts` with the top-level ones, so every name is unique, and
 * their `index` (and their parameters' layerIndex) is that of the parallel layer holding them.
 */
function resolveLayerList(
  inputShape: number[],
  specs: LayerSpec[],
  counts: Map<string, number>,
  parentIndex: number | undefined,
): ResolvedLayer[] {
  let shape = inputShape
  return specs.map((spec, position) => {
    const index = parentIndex ?? position
    const n = (counts.get(spec?.type) ?? 0) + 1
    const name = `${spec?.type}_${n}`
    let layer: ResolvedLayer
    if (spec?.type === 'parallel') {
      counts.set(spec.type, n)
      const branches = resolveBranches(spec, position, shape, counts, index)
      const outputs = branches.map((branch) => (branch.length ? branch[branch.length - 1].outputShape : shape))
      layer = {
        index,
        name,
        spec,
        inputShape: shape,
        outputShape: [outputs.reduce((sum, s) => sum + s[0], 0)],
        parameters: branches.flat().flatMap((l) => l.parameters),
        branches,
      }
    } else {
      const {outputShape, parameters} = inferLayerShape(spec, position, shape)
      counts.set(spec.type, n)
      layer = {
        index,
        name,
        spec,
        inputShape: shape,
        outputShape,
        parameters: parameters.map((p) => ({...p, name: `${name}/${p.role}`, layerName: name, layerIndex: index})),
      }
    }
    shape = layer.outputShape
    return layer
  })
}

function resolveBranches(
  spec: ParallelSpec,
  position: number,
  inputShape: number[],
  counts: Map<string, number>,
  index: number,
): ResolvedLayer[][] {
  const where = `layer ${position + 1} parallel`
  if (!Array.isArray(spec.branches) || spec.branches.length < 2 || !spec.branches.every(Array.isArray)) {
    throw new UserError(`${where}: branches must be a list of at least 2 layer lists`)
  }
  return spec.branches.map((branchSpecs, b) => {
    const refused = branchSpecs.find((s) =>
      ['parallel', 'embedding', 'categoryEmbedding', 'dropout', 'batchNorm'].includes(s?.type),
    )
    if (refused)
      throw new UserError(
        `${where}: branch ${b + 1} may not hold a ${refused.type} layer; put it before or after the parallel layer`,
      )
    let branch: ResolvedLayer[]
    try {
      branch = resolveLayerList(inputShape, branchSpecs, counts, index)
    } catch (error) {
      if (error instanceof UserError) throw new UserError(`${where}, branch ${b + 1}: ${error.message}`)
      throw error
    }
    const output = branch.length ? branch[branch.length - 1].outputShape : inputShape
    if (output.length !== 1)
      throw new UserError(
        `${where}, branch ${b + 1}: ends with shape [${output.join(', ')}]; end it with a flat output`,
      )
    return branch
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

function checkInputShape(shape: unknown, inputType: InputType): number[] {
  const ok =
    Array.isArray(shape) &&
    (shape.length === 1 || (shape.length === 3 && inputType !== 'int32')) &&
    shape.every((d) => Number.isInteger(d) && d > 0)
  if (!ok) {
    throw new UserError(
      inputType === 'int32'
        ? `token inputs need inputShape [sequenceLength], got ${JSON.stringify(shape)}`
        : `inputShape must be [channels, height, width] or [features] of positive integers, got ${JSON.stringify(shape)}`,
    )
  }
  return shape as number[]
}

/** Token ids feed an embedding and nothing else: a first-layer embedding, and int32 inputs, go together. */
function checkTokenInputs(spec: ModelSpec, inputType: InputType): void {
  const layers = Array.isArray(spec.layers) ? spec.layers : []
  const embeddingAt = layers.findIndex((l) => l?.type === 'embedding')
  if (inputType === 'int32') {
    if (embeddingAt !== 0)
      throw new UserError('a model on token ids (inputType int32) must start with an embedding layer')
    const padId = spec.padId ?? 0
    const vocab = (layers[0] as {vocab?: unknown}).vocab
    if (!Number.isInteger(padId) || padId < 0 || (typeof vocab === 'number' && padId >= vocab))
      throw new UserError(`padId must be a token id in [0, vocab), got ${JSON.stringify(spec.padId)}`)
  } else if (embeddingAt >= 0) {
    throw new UserError(`layer ${embeddingAt + 1} embedding: needs token ids; set the spec's inputType to int32`)
  } else if (spec.padId !== undefined) {
    throw new UserError('padId applies to token inputs only (inputType int32)')
  }
  const later = layers.findIndex((l, i) => i > 0 && l?.type === 'embedding')
  if (later > 0) throw new UserError(`layer ${later + 1} embedding: an embedding can only be the first layer`)
}

/**
 * The model input columns that categoryEmbedding layers read, by position in the input. They lead the model
 * (each reads a column of the input, not a computed value): the first reads the input, each next one the
 * output of the one before, whose columns are the input's less the columns taken, then the vectors.
 */
export function categoryColumns(spec: ModelSpec): number[] {
  const layers = Array.isArray(spec.layers) ? spec.layers : []
  const leading = layers.findIndex((l) => l?.type !== 'categoryEmbedding')
  const positions = Array.from({length: spec.inputShape?.[0] ?? 0}, (_, c): number | undefined => c)
  return layers.slice(0, leading < 0 ? layers.length : leading).map((layer, i) => {
    const {column, dim} = layer as CategoryEmbeddingSpec
    const input = positions[column]
    if (input === undefined)
      throw new UserError(
        `layer ${i + 1} categoryEmbedding: column ${column} is ${column < positions.length ? 'the vector of an earlier categoryEmbedding' : `past its input's ${positions.length} features`}; give the index column's position in this layer's input`,
      )
    positions.splice(column, 1)
    positions.push(...Array.from({length: Number.isInteger(dim) && dim > 0 ? dim : 0}, () => undefined))
    return input
  })
}

/** categoryEmbedding layers lead a float32 table model, and their index columns reach them unscaled. */
function checkCategoryColumns(spec: ModelSpec, inputType: InputType): void {
  const layers = Array.isArray(spec.layers) ? spec.layers : []
  const at = layers.findIndex((l) => l?.type === 'categoryEmbedding')
  if (at < 0) return
  if (inputType !== 'float32' || spec.inputShape.length !== 1)
    throw new UserError(`layer ${at + 1} categoryEmbedding: needs a table's feature rows (float32 [features])`)
  const later = layers.findIndex(
    (l, i) => i > 0 && l?.type === 'categoryEmbedding' && layers[i - 1]?.type !== 'categoryEmbedding',
  )
  if (at > 0 || later > 0)
    throw new UserError(
      `layer ${Math.max(at, later) + 1} categoryEmbedding: categoryEmbedding layers read the input's columns, so they come first`,
    )
  const columns = categoryColumns(spec)
  const normalize = spec.normalize
  if (!normalize) return
  const pick = (values: number[], c: number) => values[values.length === 1 ? 0 : c]
  for (const column of columns)
    if (pick(normalize.mean, column) !== 0 || pick(normalize.std, column) !== 1)
      throw new UserError(
        `normalize scales input ${column}, which a categoryEmbedding reads as a category index; give it mean 0 and std 1`,
      )
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

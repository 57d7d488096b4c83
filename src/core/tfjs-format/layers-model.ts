import {UserError} from '../errors.js'
import type {NamedTensor, ParameterInfo, ParameterRole} from '../model/parameters.js'
import {resolveModel, type ResolvedLayer, type ResolvedModel} from '../model/resolve-model.js'
import type {CategoryEmbeddingSpec, ModelSpec} from '../model/spec.js'
import {foldStandardization, inputStandardization} from '../model/standardization.js'
import type {FunctionalTopology} from './functional-topology.js'
import {tableModelTopology, type TableStep} from './table-model-topology.js'
import {tokenModelTopology} from './token-model-topology.js'
import {hwioToOihw, oihwToHwio, reorderFlattenedRows} from './weight-layout.js'

/**
 * The TensorFlow.js layers format (what `tf.loadLayersModel` reads): a Keras Sequential topology in NHWC
 * (functional for token models and tables with category embeddings, which a list of layers cannot spell),
 * a weights manifest and one binary of float32 weights. The mlctl spec travels in userDefinedMetadata so
 * that mlctl reads a model back exactly; the topology is what TensorFlow.js (and a browser) uses.
 */
export const WEIGHTS_FILE = 'weights.bin'

export interface LayersModelJson {
  format: 'layers-model'
  generatedBy: string
  convertedBy: null
  modelTopology:
    | {
        class_name: 'Sequential'
        config: {name: string; layers: KerasLayer[]}
        keras_version: string
        backend: string
      }
    | FunctionalTopology
  weightsManifest: Array<{paths: string[]; weights: Array<{name: string; shape: number[]; dtype: 'float32'}>}>
  userDefinedMetadata: {mlctl: {spec: ModelSpec} & Record<string, unknown>}
}

interface KerasLayer {
  class_name: string
  config: Record<string, unknown>
}

const TFJS_WEIGHT_NAMES: Record<ParameterRole, string> = {
  kernel: 'kernel',
  bias: 'bias',
  gamma: 'gamma',
  beta: 'beta',
  movingMean: 'moving_mean',
  movingVariance: 'moving_variance',
  embeddings: 'embeddings',
}

export function toLayersModel(
  spec: ModelSpec,
  weights: NamedTensor[],
  generatedBy: string,
  metadata: Record<string, unknown> = {},
): {modelJson: LayersModelJson; weightData: Uint8Array} {
  const model = resolveModel(spec)
  if (model.inputType === 'int32') return toTokenLayersModel(model, weights, generatedBy, metadata)
  const byName = new Map(weights.map((w) => [w.name, w]))
  const steps: TableStep[] = []
  const manifest: LayersModelJson['weightsManifest'][0]['weights'] = []
  const chunks: Float32Array[] = []
  // Fixed affine maps (per-feature standardization, denormalize) as non-trainable Dense layers whose
  // weights mlctl skips when reading back: the spec it reads holds them exactly.
  const fixedDense = (name: string, kernel: Float32Array, bias: Float32Array) => {
    steps.push({
      class_name: 'Dense',
      config: {name, units: bias.length, activation: 'linear', use_bias: true, trainable: false},
    })
    manifest.push({name: `${name}/kernel`, shape: [kernel.length / bias.length, bias.length], dtype: 'float32'})
    manifest.push({name: `${name}/bias`, shape: [bias.length], dtype: 'float32'})
    chunks.push(kernel, bias)
  }
  const perFeature = perFeatureStandardization(model)
  if (perFeature) {
    const {multiplier, offset} = perFeature
    const features = multiplier.length
    const kernel = new Float32Array(features * features)
    multiplier.forEach((m, f) => (kernel[f * features + f] = m))
    fixedDense('standardize', kernel, Float32Array.from(offset))
  } else {
    const rescaling = inputRescaling(model)
    if (rescaling) steps.push({class_name: 'Rescaling', config: {name: 'rescaling', ...rescaling}})
  }
  for (const layer of model.layers)
    if (layer.spec.type === 'categoryEmbedding') steps.push(layer as ResolvedLayer<CategoryEmbeddingSpec>)
    else steps.push(...kerasLayers(layer))
  for (const param of model.parameters) {
    const tensor = byName.get(param.name)
    if (!tensor) throw new Error(`no weights for ${param.name}`)
    const converted = convertParameter(model, param, tensor.data, 'toTfjs')
    manifest.push({name: tfjsWeightName(param), shape: converted.shape, dtype: 'float32'})
    chunks.push(converted.data)
  }
  const denormalize = model.spec.denormalize
  if (denormalize) {
    const kernel = new Float32Array(model.outputs * model.outputs)
    for (let o = 0; o < model.outputs; o++) kernel[o * model.outputs + o] = denormalize.std
    fixedDense('denormalize', kernel, new Float32Array(model.outputs).fill(denormalize.mean))
  }
  let modelTopology: LayersModelJson['modelTopology']
  if (steps.some((step) => 'spec' in step)) {
    const {topology, fixedWeights} = tableModelTopology(model.inputShape[0], steps)
    modelTopology = topology
    for (const fixed of fixedWeights) {
      manifest.push({name: fixed.name, shape: fixed.shape, dtype: 'float32'})
      chunks.push(fixed.data)
    }
  } else {
    const layers = steps as KerasLayer[]
    layers[0].config.batch_input_shape = [null, ...nhwc(model.inputShape)]
    modelTopology = {
      class_name: 'Sequential',
      config: {name: 'sequential', layers},
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    }
  }
  return {
    modelJson: {
      format: 'layers-model',
      generatedBy,
      convertedBy: null,
      modelTopology,
      weightsManifest: [{paths: [WEIGHTS_FILE], weights: manifest}],
      userDefinedMetadata: {mlctl: {...metadata, spec}},
    },
    weightData: concatBytes(chunks),
  }
}

/** A token model: the functional topology of token-model-topology.ts, its fixed mask weights after the model's. */
function toTokenLayersModel(
  model: ResolvedModel,
  weights: NamedTensor[],
  generatedBy: string,
  metadata: Record<string, unknown>,
): {modelJson: LayersModelJson; weightData: Uint8Array} {
  if (model.spec.normalize || model.spec.denormalize)
    throw new UserError('a token model takes no normalize or denormalize; remove them from the spec')
  const byName = new Map(weights.map((w) => [w.name, w]))
  const {topology, fixedWeights} = tokenModelTopology(model, kerasLayers)
  const tensors = model.parameters.map((param) => {
    const tensor = byName.get(param.name)
    if (!tensor) throw new Error(`no weights for ${param.name}`)
    const converted = convertParameter(model, param, tensor.data, 'toTfjs')
    // a conv1d kernel [k, C, F] is stored for its Conv2D of width 1: [k, 1, C, F], the same values
    const shape = param.layout === 'OIW' ? [converted.shape[0], 1, ...converted.shape.slice(1)] : converted.shape
    return {name: tfjsWeightName(param), shape, data: converted.data}
  })
  const all = [...tensors, ...fixedWeights]
  return {
    modelJson: {
      format: 'layers-model',
      generatedBy,
      convertedBy: null,
      modelTopology: topology,
      weightsManifest: [
        {paths: [WEIGHTS_FILE], weights: all.map((t) => ({name: t.name, shape: t.shape, dtype: 'float32' as const}))},
      ],
      userDefinedMetadata: {mlctl: {...metadata, spec: model.spec}},
    },
    weightData: concatBytes(all.map((t) => t.data)),
  }
}

function concatBytes(chunks: Float32Array[]): Uint8Array {
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0))
  let offset = 0
  for (const c of chunks) {
    bytes.set(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), offset)
    offset += c.byteLength
  }
  return bytes
}

/** Reads back what toLayersModel wrote: the spec and the weights in engine (NCHW/OIHW) layout. */
export function fromLayersModel(
  modelJson: LayersModelJson,
  weightData: Uint8Array,
  source: string,
): {spec: ModelSpec; weights: NamedTensor[]; metadata: Record<string, unknown>} {
  const mlctl = modelJson?.userDefinedMetadata?.mlctl
  if (!mlctl?.spec)
    throw new UserError(
      `${source} was not written by mlctl (no mlctl spec in userDefinedMetadata); train it with mlctl or export it to ONNX`,
    )
  const model = resolveModel(mlctl.spec)
  const specs = modelJson.weightsManifest.flatMap((group) => group.weights)
  const aligned = new Uint8Array(weightData).buffer
  const stored = new Map<string, Float32Array>()
  let offset = 0
  for (const w of specs) {
    const length = w.shape.reduce((a, b) => a * b, 1)
    if (offset + length * 4 > aligned.byteLength)
      throw new UserError(`${source}: weights file is shorter than its manifest; the model folder is damaged`)
    stored.set(w.name, new Float32Array(aligned, offset, length))
    offset += length * 4
  }
  const weights = model.parameters.map((param) => {
    const data = stored.get(tfjsWeightName(param))
    if (!data) throw new UserError(`${source}: weight ${tfjsWeightName(param)} is missing; the model folder is damaged`)
    return {name: param.name, shape: param.shape, data: convertParameter(model, param, data, 'fromTfjs').data}
  })
  const {spec, ...metadata} = mlctl
  return {spec, weights, metadata}
}

function tfjsWeightName(param: ParameterInfo): string {
  return `${param.layerName}/${TFJS_WEIGHT_NAMES[param.role]}`
}

function nhwc(shape: number[]): number[] {
  return shape.length === 3 ? [shape[1], shape[2], shape[0]] : shape
}

/** A table's per-feature (x - mean) / std, which Rescaling cannot express: one scale and offset only. */
function perFeatureStandardization(model: ResolvedModel): {multiplier: number[]; offset: number[]} | undefined {
  const normalize = model.spec.normalize
  if (!normalize || model.inputShape.length !== 1 || model.inputType !== 'float32') return undefined
  if (normalize.mean.length === 1 && normalize.std.length === 1) return undefined
  return foldStandardization(inputStandardization(model.inputType, normalize), model.inputShape[0])
}

/** The engine scales uint8 inputs by 1/255 and standardizes inside its graph; Rescaling does the same in TF.js. */
function inputRescaling(model: ResolvedModel): {scale: number; offset: number} | undefined {
  const normalize = model.spec.normalize
  const standardization = inputStandardization(model.inputType, normalize)
  if (!normalize) return standardization.scale === 1 ? undefined : {scale: standardization.scale, offset: 0}
  const uniform = (values: number[]) => values.every((v) => v === values[0])
  if (!uniform(normalize.mean) || !uniform(normalize.std)) {
    throw new UserError(
      'per-channel normalize values cannot be written in the TensorFlow.js layers format; use one mean and one std value',
    )
  }
  const {multiplier, offset} = foldStandardization(standardization, 1)
  return {scale: multiplier[0], offset: offset[0]}
}

function kerasLayers(layer: ResolvedLayer): KerasLayer[] {
  const name = layer.name
  const s = layer.spec
  switch (s.type) {
    case 'conv2d': {
      const stride = s.stride ?? 1
      const padding = s.padding ?? 'valid'
      const conv: KerasLayer = {
        class_name: 'Conv2D',
        config: {
          name,
          filters: s.filters,
          kernel_size: [s.kernel, s.kernel],
          strides: [stride, stride],
          padding: typeof padding === 'number' ? 'valid' : padding,
          data_format: 'channels_last',
          dilation_rate: [1, 1],
          activation: 'linear',
          use_bias: true,
        },
      }
      if (typeof padding !== 'number' || padding === 0) return [conv]
      // Keras has no numeric padding on Conv2D: pad explicitly, then convolve 'valid'.
      return [
        {
          class_name: 'ZeroPadding2D',
          config: {
            name: `${name}_pad`,
            padding: [
              [padding, padding],
              [padding, padding],
            ],
            data_format: 'channels_last',
          },
        },
        conv,
      ]
    }
    case 'maxPool2d':
    case 'avgPool2d': {
      const stride = s.stride ?? s.size
      return [
        {
          class_name: s.type === 'maxPool2d' ? 'MaxPooling2D' : 'AveragePooling2D',
          config: {
            name,
            pool_size: [s.size, s.size],
            strides: [stride, stride],
            padding: 'valid',
            data_format: 'channels_last',
          },
        },
      ]
    }
    case 'dense':
      return [{class_name: 'Dense', config: {name, units: s.units, activation: 'linear', use_bias: true}}]
    case 'flatten':
      // Keras's Flatten needs an input of rank >= 3 and TensorFlow.js refuses to load a model with one
      // on feature rows; the engine passes a flat input through unchanged, so no layer is needed.
      return layer.inputShape.length === 1 ? [] : [{class_name: 'Flatten', config: {name}}]
    case 'dropout':
      return [{class_name: 'Dropout', config: {name, rate: s.rate}}]
    case 'batchNorm':
      return [
        {
          class_name: 'BatchNormalization',
          config: {
            name,
            axis: -1,
            momentum: s.momentum ?? 0.99,
            epsilon: s.epsilon ?? 0.001,
            center: true,
            scale: true,
          },
        },
      ]
    case 'embedding':
      return [
        {
          class_name: 'Embedding',
          config: {name, input_dim: s.vocab, output_dim: s.dim, input_length: layer.inputShape[0], mask_zero: false},
        },
      ]
    case 'conv1d': {
      const [length, channels] = layer.inputShape
      return [
        {class_name: 'Reshape', config: {name: `${name}_rows`, target_shape: [length, 1, channels]}},
        {
          class_name: 'ZeroPadding2D',
          config: {
            name: `${name}_pad`,
            padding: [
              [0, s.kernel - 1],
              [0, 0],
            ],
            data_format: 'channels_last',
          },
        },
        {
          class_name: 'Conv2D',
          config: {
            name,
            filters: s.filters,
            kernel_size: [s.kernel, 1],
            strides: [1, 1],
            padding: 'valid',
            data_format: 'channels_last',
            dilation_rate: [1, 1],
            activation: 'linear',
            use_bias: true,
          },
        },
        {class_name: 'Reshape', config: {name: `${name}_sequence`, target_shape: [length, s.filters]}},
      ]
    }
    case 'globalAveragePool1d':
    case 'globalMaxPool1d':
    case 'parallel':
      throw new Error(`${s.type} layers are written by token-model-topology.ts`)
    case 'categoryEmbedding':
      throw new Error('categoryEmbedding layers are written by table-model-topology.ts')
    case 'leakyRelu':
      return [{class_name: 'LeakyReLU', config: {name, alpha: s.alpha ?? 0.3}}]
    case 'relu':
    case 'tanh':
    case 'sigmoid':
    case 'softmax':
      return [{class_name: 'Activation', config: {name, activation: s.type}}]
  }
}

/**
 * For each layer, the [C, H, W] image its flat input was flattened from (undefined when the input is not a
 * flattened image). Per-feature parameters after such a flatten follow the flatten order, which differs
 * between NCHW and NHWC; element-wise layers keep the order, a dense layer ends it.
 */
export function flattenedImageInputs(model: ResolvedModel): Array<number[] | undefined> {
  let image: number[] | undefined
  return model.layers.map((layer) => {
    const input = image
    if (layer.spec.type === 'flatten') image = layer.inputShape.length === 3 ? layer.inputShape : undefined
    else if (layer.spec.type === 'dense') image = undefined
    return input
  })
}

/** One parameter tensor from engine layout to TF.js layout ('toTfjs') or back ('fromTfjs'). */
export function convertParameter(
  model: ResolvedModel,
  param: ParameterInfo,
  data: Float32Array,
  direction: 'toTfjs' | 'fromTfjs',
): {shape: number[]; data: Float32Array} {
  if (param.layout === 'OIW') {
    // a conv1d kernel is a conv2d kernel of height 1: [O, I, 1, W] ↔ [1, W, I, O], that is [W, I, O]
    const [o, i, w] = param.shape
    return direction === 'toTfjs'
      ? {shape: [w, i, o], data: oihwToHwio(data, [o, i, 1, w])}
      : {shape: param.shape, data: hwioToOihw(data, [o, i, 1, w])}
  }
  if (param.layout === 'OIHW') {
    const [o, i, h, w] = param.shape
    return direction === 'toTfjs'
      ? {shape: [h, w, i, o], data: oihwToHwio(data, param.shape)}
      : {shape: param.shape, data: hwioToOihw(data, param.shape)}
  }
  const image = flattenedImageInputs(model)[param.layerIndex]
  // A dense kernel's rows, or a batchNorm's per-feature values, follow the flatten order.
  if (image && (param.layout === 'IO' || model.layers[param.layerIndex].spec.type === 'batchNorm')) {
    const units = param.layout === 'IO' ? param.shape[1] : 1
    return {shape: param.shape, data: reorderFlattenedRows(data, image, units, direction === 'fromTfjs')}
  }
  return {shape: param.shape, data: direction === 'toTfjs' ? data : new Float32Array(data)}
}

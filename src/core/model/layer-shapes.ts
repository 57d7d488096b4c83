import {UserError} from '../errors.js'
import type {ParameterLayout, ParameterRole} from './parameters.js'
import {LAYER_TYPES, type LayerSpec} from './spec.js'
import {convGeometry, poolGeometry} from './window-geometry.js'

export interface LayerParameterShape {
  role: ParameterRole
  shape: number[]
  layout: ParameterLayout
  trainable: boolean
}

export interface LayerShape {
  outputShape: number[]
  parameters: LayerParameterShape[]
}

/**
 * Checks one layer's fields (specs come from hand-written JSON) and infers its output shape and parameters.
 * Errors name the layer by its 1-based position: "layer 3 conv2d: kernel 5 larger than input 4x4".
 */
export function inferLayerShape(layer: LayerSpec, index: number, inputShape: number[]): LayerShape {
  if (typeof layer !== 'object' || layer === null || !LAYER_TYPES.includes(layer.type)) {
    const type =
      typeof layer === 'object' && layer !== null
        ? `'${String((layer as {type?: unknown}).type)}'`
        : JSON.stringify(layer)
    throw new UserError(`layer ${index + 1}: unknown type ${type}; use one of ${LAYER_TYPES.join(', ')}`)
  }
  const where = `layer ${index + 1} ${layer.type}`
  const fail = (problem: string): never => {
    throw new UserError(`${where}: ${problem}`)
  }
  const integer = (name: string, value: unknown, min: number): number => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      fail(`${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`)
    }
    return value as number
  }
  const image = (): [number, number, number] => {
    if (inputShape.length !== 3) fail(`needs an image input [channels, height, width], got [${inputShape.join(', ')}]`)
    return inputShape as [number, number, number]
  }
  const flat = (): number => {
    if (inputShape.length === 2)
      fail(
        `needs a flat input, got a sequence ${inputShape.join('x')}; add globalAveragePool1d or globalMaxPool1d before it`,
      )
    if (inputShape.length !== 1) fail(`needs a flat input, got ${inputShape.join('x')}; add a flatten layer before it`)
    return inputShape[0]
  }
  const sequence = (): [number, number] => {
    if (inputShape.length !== 2)
      fail(`needs a sequence [length, channels] (the output of an embedding), got [${inputShape.join(', ')}]`)
    return inputShape as [number, number]
  }
  const channel = (role: ParameterRole, size: number, trainable = true): LayerParameterShape => ({
    role,
    shape: [size],
    layout: 'C',
    trainable,
  })

  switch (layer.type) {
    case 'conv2d': {
      const [channels, height, width] = image()
      const filters = integer('filters', layer.filters, 1)
      const kernel = integer('kernel', layer.kernel, 1)
      integer('stride', layer.stride ?? 1, 1)
      const padding = layer.padding ?? 'valid'
      if (padding !== 'same' && padding !== 'valid') integer("padding (or 'same' / 'valid')", padding, 0)
      const geometry = convGeometry(layer, height, width)
      if (geometry.outHeight < 1 || geometry.outWidth < 1) {
        const padded =
          typeof padding === 'number' && padding > 0 ? ` (padded ${height + 2 * padding}x${width + 2 * padding})` : ''
        fail(`kernel ${kernel} larger than input ${height}x${width}${padded}`)
      }
      return {
        outputShape: [filters, geometry.outHeight, geometry.outWidth],
        parameters: [
          {role: 'kernel', shape: [filters, channels, kernel, kernel], layout: 'OIHW', trainable: true},
          channel('bias', filters),
        ],
      }
    }
    case 'maxPool2d':
    case 'avgPool2d': {
      const [channels, height, width] = image()
      const size = integer('size', layer.size, 1)
      integer('stride', layer.stride ?? size, 1)
      if (size > height || size > width) fail(`size ${size} larger than input ${height}x${width}`)
      const geometry = poolGeometry(layer, height, width)
      return {outputShape: [channels, geometry.outHeight, geometry.outWidth], parameters: []}
    }
    case 'dense': {
      const inputs = flat()
      const units = integer('units', layer.units, 1)
      return {
        outputShape: [units],
        parameters: [{role: 'kernel', shape: [inputs, units], layout: 'IO', trainable: true}, channel('bias', units)],
      }
    }
    case 'embedding': {
      if (inputShape.length !== 1) fail(`needs token ids [sequenceLength], got [${inputShape.join(', ')}]`)
      const vocab = integer('vocab', layer.vocab, 1)
      const dim = integer('dim', layer.dim, 1)
      return {
        outputShape: [inputShape[0], dim],
        parameters: [{role: 'embeddings', shape: [vocab, dim], layout: 'VD', trainable: true}],
      }
    }
    case 'categoryEmbedding': {
      const features = flat()
      const column = integer('column', layer.column, 0)
      if (column >= features) fail(`column ${column} is past the input's ${features} features`)
      const categories = integer('categories', layer.categories, 1)
      const dim = integer('dim', layer.dim, 1)
      return {
        outputShape: [features - 1 + dim],
        parameters: [{role: 'embeddings', shape: [categories, dim], layout: 'VD', trainable: true}],
      }
    }
    case 'conv1d': {
      const [length, channels] = sequence()
      const filters = integer('filters', layer.filters, 1)
      const kernel = integer('kernel', layer.kernel, 1)
      return {
        outputShape: [length, filters],
        parameters: [
          {role: 'kernel', shape: [filters, channels, kernel], layout: 'OIW', trainable: true},
          channel('bias', filters),
        ],
      }
    }
    case 'globalAveragePool1d':
    case 'globalMaxPool1d':
      return {outputShape: [sequence()[1]], parameters: []}
    case 'parallel':
      throw new Error('parallel layers are resolved by resolveLayers')
    case 'flatten':
      if (inputShape.length === 2)
        fail('cannot flatten a sequence (its length varies); use globalAveragePool1d or globalMaxPool1d')
      return {outputShape: [inputShape.reduce((a, b) => a * b, 1)], parameters: []}
    case 'dropout':
      if (typeof layer.rate !== 'number' || !(layer.rate >= 0 && layer.rate < 1))
        fail(`rate must be in [0, 1), got ${JSON.stringify(layer.rate)}`)
      return {outputShape: inputShape, parameters: []}
    case 'batchNorm': {
      if (inputShape.length !== 1 && inputShape.length !== 3)
        fail(`needs a flat or image input, got [${inputShape.join(', ')}]`)
      const momentum = layer.momentum ?? 0.99
      const epsilon = layer.epsilon ?? 1e-3
      if (typeof momentum !== 'number' || !(momentum >= 0 && momentum < 1))
        fail(`momentum must be in [0, 1), got ${JSON.stringify(momentum)}`)
      if (typeof epsilon !== 'number' || !(epsilon > 0)) fail(`epsilon must be > 0, got ${JSON.stringify(epsilon)}`)
      const channels = inputShape[0]
      return {
        outputShape: inputShape,
        parameters: [
          channel('gamma', channels),
          channel('beta', channels),
          channel('movingMean', channels, false),
          channel('movingVariance', channels, false),
        ],
      }
    }
    case 'leakyRelu':
      if (layer.alpha !== undefined && (typeof layer.alpha !== 'number' || !Number.isFinite(layer.alpha))) {
        fail(`alpha must be a number, got ${JSON.stringify(layer.alpha)}`)
      }
      return {outputShape: inputShape, parameters: []}
    case 'softmax':
      flat()
      return {outputShape: inputShape, parameters: []}
    case 'relu':
    case 'tanh':
    case 'sigmoid':
      return {outputShape: inputShape, parameters: []}
  }
}

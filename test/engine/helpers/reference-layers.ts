/**
 * Float64 reference implementations of every layer's forward pass, written as plain loops straight from
 * the definitions, so finite differences over them give gradients accurate far beyond float32.
 * Tensors are flat Float64Arrays with the batch first: [N, ...layer.inputShape].
 */
import type {ParameterRole} from '../../../src/core/model/parameters.js'
import type {ResolvedLayer} from '../../../src/core/model/resolve-model.js'
import type {Conv2dSpec, Pool2dSpec} from '../../../src/core/model/spec.js'
import {convGeometry, poolGeometry} from '../../../src/core/model/window-geometry.js'
import type {GraphMode} from '../../../src/core/engine/layer-emitter.js'

export type Params64 = Partial<Record<ParameterRole, Float64Array>>

export function referenceLayer(
  layer: ResolvedLayer,
  x: Float64Array,
  batch: number,
  params: Params64,
  mode: GraphMode,
  noise?: Float64Array,
): Float64Array {
  const spec = layer.spec
  switch (spec.type) {
    case 'conv2d':
      return conv2d(layer as ResolvedLayer<Conv2dSpec>, x, batch, params.kernel!, params.bias!)
    case 'maxPool2d':
    case 'avgPool2d':
      return pool(layer as ResolvedLayer<Pool2dSpec>, x, batch)
    case 'dense': {
      const [inputs] = layer.inputShape
      const [units] = layer.outputShape
      const y = new Float64Array(batch * units)
      for (let n = 0; n < batch; n++)
        for (let u = 0; u < units; u++) {
          let sum = params.bias![u]
          for (let i = 0; i < inputs; i++) sum += x[n * inputs + i] * params.kernel![i * units + u]
          y[n * units + u] = sum
        }
      return y
    }
    case 'flatten':
      return x.slice()
    case 'dropout':
      if (mode === 'inference' || spec.rate === 0) return x.slice()
      return x.map((v, i) => (noise![i] >= spec.rate ? v / (1 - spec.rate) : 0))
    case 'batchNorm':
      return batchNorm(layer, x, batch, params, mode, spec.epsilon ?? 1e-3)
    case 'relu':
      return x.map((v) => Math.max(v, 0))
    case 'leakyRelu': {
      const alpha = spec.alpha ?? 0.3
      return x.map((v) => (v > 0 ? v : alpha * v))
    }
    case 'tanh':
      return x.map(Math.tanh)
    case 'sigmoid':
      return x.map((v) => 1 / (1 + Math.exp(-v)))
    case 'softmax': {
      const [k] = layer.inputShape
      const y = new Float64Array(x.length)
      for (let n = 0; n < batch; n++) {
        const row = x.subarray(n * k, (n + 1) * k)
        const max = Math.max(...row)
        const exps = row.map((v) => Math.exp(v - max))
        const total = exps.reduce((a, b) => a + b, 0)
        y.set(
          exps.map((e) => e / total),
          n * k,
        )
      }
      return y
    }
    default:
      throw new Error(`no image-layer reference for ${spec.type}; see reference-sequence-layers.ts`)
  }
}

function conv2d(
  layer: ResolvedLayer<Conv2dSpec>,
  x: Float64Array,
  batch: number,
  kernel: Float64Array,
  bias: Float64Array,
): Float64Array {
  const [channels, height, width] = layer.inputShape
  const [filters, outHeight, outWidth] = layer.outputShape
  const {kernel: k, stride, pads} = convGeometry(layer.spec, height, width)
  const y = new Float64Array(batch * filters * outHeight * outWidth)
  let o = 0
  for (let n = 0; n < batch; n++)
    for (let f = 0; f < filters; f++)
      for (let oy = 0; oy < outHeight; oy++)
        for (let ox = 0; ox < outWidth; ox++) {
          let sum = bias[f]
          for (let c = 0; c < channels; c++)
            for (let ky = 0; ky < k; ky++)
              for (let kx = 0; kx < k; kx++) {
                const iy = oy * stride + ky - pads[0]
                const ix = ox * stride + kx - pads[1]
                if (iy < 0 || iy >= height || ix < 0 || ix >= width) continue
                sum +=
                  x[((n * channels + c) * height + iy) * width + ix] * kernel[((f * channels + c) * k + ky) * k + kx]
              }
          y[o++] = sum
        }
  return y
}

function pool(layer: ResolvedLayer<Pool2dSpec>, x: Float64Array, batch: number): Float64Array {
  const [channels, height, width] = layer.inputShape
  const [, outHeight, outWidth] = layer.outputShape
  const {kernel, stride} = poolGeometry(layer.spec, height, width)
  const y = new Float64Array(batch * channels * outHeight * outWidth)
  let o = 0
  for (let nc = 0; nc < batch * channels; nc++)
    for (let oy = 0; oy < outHeight; oy++)
      for (let ox = 0; ox < outWidth; ox++) {
        let max = -Infinity
        let sum = 0
        for (let ky = 0; ky < kernel; ky++)
          for (let kx = 0; kx < kernel; kx++) {
            const v = x[(nc * height + oy * stride + ky) * width + ox * stride + kx]
            max = Math.max(max, v)
            sum += v
          }
        y[o++] = layer.spec.type === 'maxPool2d' ? max : sum / (kernel * kernel)
      }
  return y
}

/** Normalizes each channel over batch and space; training uses the batch's mean and biased variance. */
function batchNorm(
  layer: ResolvedLayer,
  x: Float64Array,
  batch: number,
  params: Params64,
  mode: GraphMode,
  epsilon: number,
): Float64Array {
  const channels = layer.inputShape[0]
  const spatial = layer.inputShape.slice(1).reduce((a, b) => a * b, 1)
  const y = new Float64Array(x.length)
  for (let c = 0; c < channels; c++) {
    const index = (n: number, s: number) => (n * channels + c) * spatial + s
    let mean = params.movingMean?.[c] ?? 0
    let variance = params.movingVariance?.[c] ?? 1
    if (mode === 'training') {
      const m = batch * spatial
      mean = 0
      for (let n = 0; n < batch; n++) for (let s = 0; s < spatial; s++) mean += x[index(n, s)] / m
      variance = 0
      for (let n = 0; n < batch; n++) for (let s = 0; s < spatial; s++) variance += (x[index(n, s)] - mean) ** 2 / m
    }
    for (let n = 0; n < batch; n++)
      for (let s = 0; s < spatial; s++) {
        y[index(n, s)] = (params.gamma![c] * (x[index(n, s)] - mean)) / Math.sqrt(variance + epsilon) + params.beta![c]
      }
  }
  return y
}

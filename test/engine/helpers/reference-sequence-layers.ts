/**
 * Float64 references of the sequence layers, plain loops over [N, L, C] tensors (channels last) with a
 * mask [N, L] of the input's positions (1 = token).
 */
import type {ResolvedLayer} from '../../../src/core/model/resolve-model.js'
import type {Conv1dSpec} from '../../../src/core/model/spec.js'

export function embedding(ids: Int32Array, table: Float64Array, dim: number, mask: Float64Array): Float64Array {
  const y = new Float64Array(ids.length * dim)
  ids.forEach((id, p) => {
    for (let d = 0; d < dim; d++) y[p * dim + d] = table[id * dim + d] * mask[p]
  })
  return y
}

export function conv1d(
  layer: ResolvedLayer,
  x: Float64Array,
  batch: number,
  kernel: Float64Array,
  bias: Float64Array,
): Float64Array {
  const [length, channels] = layer.inputShape
  const [outLength, filters] = layer.outputShape
  const k = (layer.spec as Conv1dSpec).kernel
  const y = new Float64Array(batch * outLength * filters)
  for (let n = 0; n < batch; n++)
    for (let t = 0; t < outLength; t++)
      for (let f = 0; f < filters; f++) {
        let sum = bias[f]
        for (let j = 0; j < k && t + j < length; j++)
          for (let c = 0; c < channels; c++)
            sum += x[(n * length + t + j) * channels + c] * kernel[(f * channels + c) * k + j]
        y[(n * outLength + t) * filters + f] = sum
      }
  return y
}

/** Mean or max over the positions whose mask is 1. */
export function globalPool(
  kind: 'mean' | 'max',
  x: Float64Array,
  batch: number,
  [length, channels]: number[],
  mask: Float64Array,
  maskLength: number,
): Float64Array {
  const y = new Float64Array(batch * channels)
  for (let n = 0; n < batch; n++)
    for (let c = 0; c < channels; c++) {
      let count = 0
      let acc = kind === 'mean' ? 0 : -Infinity
      for (let t = 0; t < length; t++) {
        if (mask[n * maskLength + t] === 0) continue
        const v = x[(n * length + t) * channels + c]
        acc = kind === 'mean' ? acc + v : Math.max(acc, v)
        count++
      }
      y[n * channels + c] = count === 0 ? 0 : kind === 'mean' ? acc / count : acc
    }
  return y
}

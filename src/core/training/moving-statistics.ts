import {sizeOf} from '../model/parameters.js'
import type {ResolvedLayer} from '../model/resolve-model.js'
import type {BatchNormSpec} from '../model/spec.js'

/** Per-channel statistics of one batch-norm layer. */
export interface ChannelStatistics {
  mean: Float32Array
  variance: Float32Array
}

/**
 * moving = momentum * moving + (1 - momentum) * batch statistic, with the unbiased batch variance
 * (as PyTorch and TensorFlow's fused batch norm do). `batch.variance` is the biased variance of n
 * examples. Every training engine updates batch norm with this rule, so their runs agree.
 */
export function updateMovingStatistics(
  layer: ResolvedLayer<BatchNormSpec>,
  moving: ChannelStatistics,
  batch: ChannelStatistics,
  n: number,
): void {
  const momentum = layer.spec.momentum ?? 0.99
  const perChannel = n * sizeOf(layer.inputShape.slice(1))
  const unbias = perChannel > 1 ? perChannel / (perChannel - 1) : 1
  for (let c = 0; c < moving.mean.length; c++) {
    moving.mean[c] = momentum * moving.mean[c] + (1 - momentum) * batch.mean[c]
    moving.variance[c] = momentum * moving.variance[c] + (1 - momentum) * batch.variance[c] * unbias
  }
}

import {BaseOptimizer} from './base-optimizer.js'
import type {OptimizerConfig} from './optimizer.js'

/**
 * torch.optim.Adagrad (lr_decay 0, initial accumulator 0, eps default 1e-10):
 *   g += wd*w;  sum += g^2;  w -= lr * g / (sqrt(sum) + eps)
 */
export class Adagrad extends BaseOptimizer {
  private readonly eps: number
  private readonly weightDecay: number

  constructor(config: OptimizerConfig, paramLengths: readonly number[]) {
    super(config, paramLengths, ['sum'])
    this.eps = config.eps ?? 1e-10
    this.weightDecay = config.weightDecay ?? 0
  }

  protected updateTensor(index: number, w: Float32Array, g: Float32Array, lr: number): void {
    const sum = this.slots.sum[index]
    const wd = this.weightDecay
    const eps = this.eps
    const n = w.length
    for (let i = 0; i < n; i++) {
      const wi = w[i]
      const gi = g[i] + wd * wi
      const si = sum[i] + gi * gi
      sum[i] = si
      w[i] = wi - (lr * gi) / (Math.sqrt(si) + eps)
    }
  }
}

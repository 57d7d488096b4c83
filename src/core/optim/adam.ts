import {BaseOptimizer} from './base-optimizer.js'
import type {OptimizerConfig} from './optimizer.js'

/**
 * torch.optim.Adam and AdamW (single-tensor, amsgrad off). Defaults as torch: betas (0.9, 0.999),
 * eps 1e-8, weight decay 0 for Adam and 0.01 for AdamW.
 *   Adam:  g += wd*w          AdamW: w *= 1 - lr*wd
 *   m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2
 *   w -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
 */
export class Adam extends BaseOptimizer {
  private readonly beta1: number
  private readonly beta2: number
  private readonly eps: number
  private readonly weightDecay: number
  private readonly decoupled: boolean

  constructor(config: OptimizerConfig, paramLengths: readonly number[]) {
    super(config, paramLengths, ['expAvg', 'expAvgSq'])
    this.decoupled = config.name === 'adamw'
    this.beta1 = config.beta1 ?? 0.9
    this.beta2 = config.beta2 ?? 0.999
    this.eps = config.eps ?? 1e-8
    this.weightDecay = config.weightDecay ?? (this.decoupled ? 0.01 : 0)
  }

  protected updateTensor(index: number, w: Float32Array, g: Float32Array, lr: number, t: number): void {
    const m = this.slots.expAvg[index]
    const v = this.slots.expAvgSq[index]
    const b1 = this.beta1
    const b2 = this.beta2
    const oneMinusB1 = 1 - b1
    const oneMinusB2 = 1 - b2
    const eps = this.eps
    // Exactly one of the two decays is active; the other is a no-op (x*1, x + 0*w).
    const decay = this.decoupled ? 1 - lr * this.weightDecay : 1
    const l2 = this.decoupled ? 0 : this.weightDecay
    const stepSize = lr / (1 - b1 ** t)
    // A multiply instead of torch's divide by sqrt(1-b2^t): one division less per element (~15 % of the step).
    const inverseBiasCorrection2Sqrt = 1 / Math.sqrt(1 - b2 ** t)
    const n = w.length
    for (let i = 0; i < n; i++) {
      const wi = w[i] * decay
      const gi = g[i] + l2 * wi
      const mi = b1 * m[i] + oneMinusB1 * gi
      const vi = b2 * v[i] + oneMinusB2 * gi * gi
      m[i] = mi
      v[i] = vi
      w[i] = wi - (stepSize * mi) / (Math.sqrt(vi) * inverseBiasCorrection2Sqrt + eps)
    }
  }
}

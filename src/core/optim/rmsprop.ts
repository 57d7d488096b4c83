import {BaseOptimizer} from './base-optimizer.js'
import type {OptimizerConfig} from './optimizer.js'

/**
 * torch.optim.RMSprop, not centered (alpha = rho, default 0.99; eps default 1e-8):
 *   g += wd*w;  v = rho*v + (1-rho)*g^2;  d = g / (sqrt(v) + eps)
 *   with momentum mu > 0: buf = mu*buf + d;  w -= lr*buf      otherwise: w -= lr*d
 */
export class RmsProp extends BaseOptimizer {
  private readonly rho: number
  private readonly momentum: number
  private readonly eps: number
  private readonly weightDecay: number

  constructor(config: OptimizerConfig, paramLengths: readonly number[]) {
    const momentum = config.momentum ?? 0
    super(config, paramLengths, momentum > 0 ? ['squareAvg', 'momentumBuffer'] : ['squareAvg'])
    this.rho = config.rho ?? 0.99
    this.momentum = momentum
    this.eps = config.eps ?? 1e-8
    this.weightDecay = config.weightDecay ?? 0
  }

  protected updateTensor(index: number, w: Float32Array, g: Float32Array, lr: number): void {
    const v = this.slots.squareAvg[index]
    const rho = this.rho
    const oneMinusRho = 1 - rho
    const wd = this.weightDecay
    const eps = this.eps
    const mu = this.momentum
    const n = w.length
    if (mu === 0) {
      for (let i = 0; i < n; i++) {
        const wi = w[i]
        const gi = g[i] + wd * wi
        const vi = rho * v[i] + oneMinusRho * gi * gi
        v[i] = vi
        w[i] = wi - (lr * gi) / (Math.sqrt(vi) + eps)
      }
      return
    }
    const buf = this.slots.momentumBuffer[index]
    for (let i = 0; i < n; i++) {
      const wi = w[i]
      const gi = g[i] + wd * wi
      const vi = rho * v[i] + oneMinusRho * gi * gi
      v[i] = vi
      const bi = mu * buf[i] + gi / (Math.sqrt(vi) + eps)
      buf[i] = bi
      w[i] = wi - lr * bi
    }
  }
}

import {UserError} from '../errors.js'
import {BaseOptimizer} from './base-optimizer.js'
import type {OptimizerConfig} from './optimizer.js'

/**
 * torch.optim.SGD (dampening 0), used for both 'sgd' and 'momentum':
 *   g += wd*w;  buf = mu*buf + g;  g = nesterov ? g + mu*buf : buf;  w -= lr*g
 * torch starts buf as a copy of the first gradient, which is what mu*0 + g gives.
 */
export class Sgd extends BaseOptimizer {
  private readonly momentum: number
  private readonly nesterov: boolean
  private readonly weightDecay: number

  constructor(config: OptimizerConfig, paramLengths: readonly number[]) {
    const momentum = config.momentum ?? (config.name === 'momentum' ? 0.9 : 0)
    const nesterov = config.nesterov ?? false
    if (nesterov && momentum === 0)
      throw new UserError('nesterov needs a momentum above 0; set momentum (e.g. 0.9) or drop nesterov')
    super(config, paramLengths, momentum > 0 ? ['momentumBuffer'] : [])
    this.momentum = momentum
    this.nesterov = nesterov
    this.weightDecay = config.weightDecay ?? 0
  }

  protected updateTensor(index: number, w: Float32Array, g: Float32Array, lr: number): void {
    const wd = this.weightDecay
    const mu = this.momentum
    const n = w.length
    if (mu === 0) {
      for (let i = 0; i < n; i++) {
        const wi = w[i]
        w[i] = wi - lr * (g[i] + wd * wi)
      }
      return
    }
    const buf = this.slots.momentumBuffer[index]
    const nesterov = this.nesterov
    for (let i = 0; i < n; i++) {
      const wi = w[i]
      const gi = g[i] + wd * wi
      const bi = mu * buf[i] + gi
      buf[i] = bi
      w[i] = wi - lr * (nesterov ? gi + mu * bi : bi)
    }
  }
}

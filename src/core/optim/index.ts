import {Adagrad} from './adagrad.js'
import {Adam} from './adam.js'
import type {Optimizer, OptimizerConfig} from './optimizer.js'
import {RmsProp} from './rmsprop.js'
import {Sgd} from './sgd.js'
import {validateOptimizerConfig} from './validate-config.js'

export {clipGradNorm} from './clip-grad-norm.js'
export {OPTIMIZER_NAMES} from './optimizer.js'
export type {Optimizer, OptimizerConfig, OptimizerName, OptimizerState, ScheduleConfig} from './optimizer.js'
export {scheduledLr} from './schedule.js'

/**
 * An optimizer for parameter tensors of the given lengths, in the order step() will receive them.
 * Throws UserError for an invalid config.
 */
export function createOptimizer(config: OptimizerConfig, paramLengths: number[]): Optimizer {
  validateOptimizerConfig(config)
  switch (config.name) {
    case 'sgd':
    case 'momentum':
      return new Sgd(config, paramLengths)
    case 'adagrad':
      return new Adagrad(config, paramLengths)
    case 'rmsprop':
      return new RmsProp(config, paramLengths)
    case 'adam':
    case 'adamw':
      return new Adam(config, paramLengths)
  }
}

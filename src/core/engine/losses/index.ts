import {UserError} from '../../errors.js'
import {binaryCrossEntropy} from './binary-cross-entropy.js'
import {LOSS_NAMES, type LossConfig, type LossRule} from './loss.js'
import {huber, meanAbsoluteError, meanSquaredError} from './regression-losses.js'
import {softmaxCrossEntropy} from './softmax-cross-entropy.js'

export type {LossConfig, LossName, LossRule, TargetKind} from './loss.js'
export {LOSS_NAMES} from './loss.js'

/** The rule for a loss config; throws UserError for unknown names or out-of-range options. */
export function lossRule(config: LossConfig): LossRule {
  switch (config?.name) {
    case 'softmaxCrossEntropy': {
      const smoothing = config.labelSmoothing ?? 0
      if (typeof smoothing !== 'number' || !(smoothing >= 0 && smoothing < 1)) {
        throw new UserError(`labelSmoothing must be in [0, 1), got ${JSON.stringify(smoothing)}`)
      }
      return softmaxCrossEntropy(smoothing)
    }
    case 'binaryCrossEntropy':
      return binaryCrossEntropy()
    case 'mse':
      return meanSquaredError()
    case 'mae':
      return meanAbsoluteError()
    case 'huber': {
      const delta = config.delta ?? 1
      if (typeof delta !== 'number' || !(delta > 0))
        throw new UserError(`huber delta must be > 0, got ${JSON.stringify(delta)}`)
      return huber(delta)
    }
    default:
      throw new UserError(
        `unknown loss ${JSON.stringify((config as {name?: unknown})?.name)}; use one of ${LOSS_NAMES.join(', ')}`,
      )
  }
}

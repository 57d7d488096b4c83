import {checkLossConfig, type LossConfig} from '../../training/loss-config.js'
import {binaryCrossEntropy} from './binary-cross-entropy.js'
import type {LossRule} from './loss-rule.js'
import {huber, meanAbsoluteError, meanSquaredError} from './regression-losses.js'
import {softmaxCrossEntropy} from './softmax-cross-entropy.js'

export type {LossEmission, LossRule} from './loss-rule.js'

/** The rule for a loss config; throws UserError for unknown names or out-of-range options. */
export function lossRule(config: LossConfig): LossRule {
  checkLossConfig(config)
  switch (config.name) {
    case 'softmaxCrossEntropy':
      return softmaxCrossEntropy(config.labelSmoothing ?? 0)
    case 'binaryCrossEntropy':
      return binaryCrossEntropy()
    case 'mse':
      return meanSquaredError()
    case 'mae':
      return meanAbsoluteError()
    case 'huber':
      return huber(config.delta ?? 1)
  }
}

import {UserError} from '../errors.js'

export type LossConfig =
  /** Integer class labels; optional Keras-style label smoothing: target = onehot * (1 - e) + e / classes. */
  | {name: 'softmaxCrossEntropy'; labelSmoothing?: number}
  /** Targets in [0, 1], one per output; the model outputs logits. */
  | {name: 'binaryCrossEntropy'}
  | {name: 'mse'}
  | {name: 'mae'}
  /** Quadratic within delta (default 1), linear beyond. */
  | {name: 'huber'; delta?: number}

export type LossName = LossConfig['name']

export const LOSS_NAMES: readonly LossName[] = ['softmaxCrossEntropy', 'binaryCrossEntropy', 'mse', 'mae', 'huber']

/** What a loss reads as targets: uint8 class labels [batch], or one float32 value per output [batch, outputs]. */
export type TargetKind = 'labels' | 'values'

/**
 * Throws UserError for an unknown loss name or an out-of-range option, so that every engine rejects the same
 * configs.
 */
export function checkLossConfig(config: LossConfig): void {
  switch (config?.name) {
    case 'softmaxCrossEntropy': {
      const smoothing = config.labelSmoothing ?? 0
      if (typeof smoothing !== 'number' || !(smoothing >= 0 && smoothing < 1)) {
        throw new UserError(`labelSmoothing must be in [0, 1), got ${JSON.stringify(smoothing)}`)
      }
      return
    }
    case 'binaryCrossEntropy':
    case 'mse':
    case 'mae':
      return
    case 'huber': {
      const delta = config.delta ?? 1
      if (typeof delta !== 'number' || !(delta > 0))
        throw new UserError(`huber delta must be > 0, got ${JSON.stringify(delta)}`)
      return
    }
    default:
      throw new UserError(
        `unknown loss ${JSON.stringify((config as {name?: unknown})?.name)}; use one of ${LOSS_NAMES.join(', ')}`,
      )
  }
}

/** mse, mae and huber fit numeric targets; the cross-entropies fit classes. */
export function isRegressionLoss(config: LossConfig): boolean {
  return config.name === 'mse' || config.name === 'mae' || config.name === 'huber'
}

export function lossTarget(config: LossConfig): TargetKind {
  return config.name === 'softmaxCrossEntropy' ? 'labels' : 'values'
}

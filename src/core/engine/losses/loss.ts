import type {GraphBuilder} from '../../onnx/graph-builder.js'

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

/**
 * What a loss reads from the `target` input: class labels [batch] (uint8, cast to int64 in the graph)
 * or one float32 value per output [batch, outputs].
 */
export type TargetKind = 'labels' | 'values'

export interface LossEmission {
  /** Mean loss over the batch, a float32 scalar. */
  loss: string
  /** Emits d(loss)/d(output); only training graphs call it. */
  gradient: () => string
}

export interface LossRule {
  target: TargetKind
  /** `output` is [batch, outputs]; `target` is int64 labels [batch] or float32 values [batch, outputs]. */
  emit(g: GraphBuilder, output: string, target: string, outputs: number): LossEmission
}

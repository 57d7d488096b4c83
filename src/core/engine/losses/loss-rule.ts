import type {GraphBuilder} from '../../onnx/graph-builder.js'

export interface LossEmission {
  /** Mean loss over the batch, a float32 scalar. */
  loss: string
  /** Emits d(loss)/d(output); only training graphs call it. */
  gradient: () => string
}

/** A loss as ONNX nodes, with its hand-written gradient. */
export interface LossRule {
  /** `output` is [batch, outputs]; `target` is int64 labels [batch] or float32 values [batch, outputs]. */
  emit(g: GraphBuilder, output: string, target: string, outputs: number): LossEmission
}

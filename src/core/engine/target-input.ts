import type {GraphBuilder} from '../onnx/graph-builder.js'
import {OnnxDataType} from '../onnx/onnx-proto.js'
import {BATCH_DIM} from './forward-pass.js'
import type {TargetKind} from '../training/loss-config.js'

export const TARGET_NAME = 'target'

/**
 * Declares the `target` input: uint8 class labels [batch] (returned cast to int64, as OneHot and ArgMax
 * comparisons need) or float32 values [batch, outputs].
 */
export function emitTargetInput(g: GraphBuilder, kind: TargetKind, outputs: number): string {
  if (kind === 'values') return g.input(TARGET_NAME, 'float32', [BATCH_DIM, outputs])
  return g.node('Cast', [g.input(TARGET_NAME, 'uint8', [BATCH_DIM])], {to: OnnxDataType.int64})
}

import type {Conv1dSpec} from '../../model/spec.js'
import type {GraphBuilder} from '../../onnx/graph-builder.js'
import {reduceSum} from '../graph-ops.js'
import type {LayerEmitter} from '../layer-emitter.js'

/**
 * y = Conv(x, W [F, C, k], b) over a sequence [N, L, C] → [N, L, F], zero-padded by k - 1 at the end so that
 * position t holds the window starting at t. ONNX's Conv takes channels first, so x goes in transposed and y
 * comes out transposed back; ONNX Runtime's transpose optimizer folds such pairs into the neighbouring ops.
 * Backward: db = sum of dy; dx = ConvTranspose(dy, W) with the same padding; dW by unfolding
 * (conv1dWeightGradient). test/engine/sequence-layer-gradients.test.ts checks all three against finite
 * differences.
 */
export const emitConv1d: LayerEmitter<Conv1dSpec> = (g, x, layer, params, mode) => {
  const {kernel} = layer.spec
  const pads = [0, kernel - 1]
  const channelsFirst = g.node('Transpose', [x], {perm: [0, 2, 1]})
  const convolved = g.node('Conv', [channelsFirst, params.kernel!, params.bias!], {kernel_shape: [kernel], pads})
  const output = g.node('Transpose', [convolved], {perm: [0, 2, 1]})
  if (mode === 'inference') return {output}
  return {
    output,
    backward: (dy, needInputGradient) => ({
      params: {
        kernel: conv1dWeightGradient(g, x, dy, kernel, layer.inputShape, layer.outputShape),
        bias: reduceSum(g, dy, [0, 1], false),
      },
      dx: needInputGradient
        ? g.node(
            'Transpose',
            [
              g.node('ConvTranspose', [g.node('Transpose', [dy], {perm: [0, 2, 1]}), params.kernel!], {
                kernel_shape: [kernel],
                pads,
              }),
            ],
            {perm: [0, 2, 1]},
          )
        : undefined,
    }),
  }
}

/**
 * dW[f, c, j] = sum over batch and positions t of dy[n, t, f] * x[n, t + j, c] (x zero past its end): the k
 * shifted views of the padded x, side by side, are the windows [N * L, k * C] (im2col), and one matrix
 * product with dy [N * L, F] gives every tap at once, as large a product as the layer's forward.
 */
function conv1dWeightGradient(
  g: GraphBuilder,
  x: string,
  dy: string,
  kernel: number,
  [length, channels]: number[],
  [, filters]: number[],
): string {
  let windows = x
  if (kernel > 1) {
    const padded = g.node('Pad', [x, g.int64s([0, 0, 0, 0, kernel - 1, 0])])
    const shifted = Array.from({length: kernel}, (_, j) =>
      g.node('Slice', [padded, g.int64s([j]), g.int64s([j + length]), g.int64s([1])]),
    )
    windows = g.node('Concat', shifted, {axis: 2})
  }
  const rows = (t: string, width: number) => g.node('Reshape', [t, g.int64s([-1, width])])
  const dw = g.node('Gemm', [rows(windows, kernel * channels), rows(dy, filters)], {transA: 1})
  return g.node('Transpose', [g.node('Reshape', [dw, g.int64s([kernel, channels, filters])])], {perm: [2, 1, 0]})
}

import type {Conv2dSpec} from '../../model/spec.js'
import type {ResolvedLayer} from '../../model/resolve-model.js'
import {convGeometry} from '../../model/window-geometry.js'
import type {GraphBuilder} from '../../onnx/graph-builder.js'
import {reduceSum, unfoldKernel} from '../graph-ops.js'
import type {LayerEmitter} from '../layer-emitter.js'

/**
 * y = Conv(x, W [F, C, k, k], b).
 * Backward: db = sum of dy over batch and space; dx = ConvTranspose(dy, W); dW by one of two formulations,
 * see conv2dWeightGradient. test/engine/layer-gradients.test.ts checks all three against finite differences.
 */
export const emitConv2d: LayerEmitter<Conv2dSpec> = (g, x, layer, params, mode) => {
  const [, height, width] = layer.inputShape
  const [, outHeight, outWidth] = layer.outputShape
  const {kernel, stride, pads} = convGeometry(layer.spec, height, width)
  const output = g.node('Conv', [x, params.kernel!, params.bias!], {
    kernel_shape: [kernel, kernel],
    strides: [stride, stride],
    pads,
  })
  if (mode === 'inference') return {output}
  return {
    output,
    backward: (dy, needInputGradient) => ({
      params: {
        kernel: conv2dWeightGradient(g, x, dy, layer, weightGradientFormulation(layer)),
        bias: reduceSum(g, dy, [0, 2, 3], false),
      },
      dx: needInputGradient
        ? g.node('ConvTranspose', [dy, params.kernel!], {
            kernel_shape: [kernel, kernel],
            strides: [stride, stride],
            pads,
            // the rows/columns a strided conv never reached: ConvTranspose must give back the full input size
            output_padding: [
              height + pads[0] + pads[2] - kernel - stride * (outHeight - 1),
              width + pads[1] + pads[3] - kernel - stride * (outWidth - 1),
            ],
          })
        : undefined,
    }),
  }
}

/**
 * Above this many unfolded values per example (C*k*k x outH*outW) the weight gradient uses the
 * transposed-tensor Conv instead of unfold, whose [batch, C*k*k, outH*outW] buffer would need too much
 * memory (a 3x224x224 image into 64 3x3 filters: 1.35 M values, 5.4 MB per example).
 */
const UNFOLD_LIMIT_PER_EXAMPLE = 1 << 20

export type WeightGradientFormulation = 'unfold' | 'transposedConv'

/**
 * unfold when the kernel has fewer taps than the layer has filters: its one-hot Conv does k*k
 * multiply-adds per copied value, k*k / filters of the MatMul that follows, so with few filters the copy
 * dominates. Measured (1 thread, batch 64, median CPU ms of 3 interleaved runs): the cnn preset (3x3,
 * 32-64 filters) 75 with unfold vs 94 with transposedConv; LeNet (5x5, 6 and 16 filters) 8.2 vs 6.5,
 * where profiling showed transposedConv about twice as fast for both of its convs.
 */
export function weightGradientFormulation(layer: ResolvedLayer<Conv2dSpec>): WeightGradientFormulation {
  const [channels] = layer.inputShape
  const [filters, outHeight, outWidth] = layer.outputShape
  const taps = layer.spec.kernel * layer.spec.kernel
  return taps < filters && channels * taps * outHeight * outWidth <= UNFOLD_LIMIT_PER_EXAMPLE
    ? 'unfold'
    : 'transposedConv'
}

/**
 * dW[f, c, i, j] = sum over batch and output positions p of dy[n, f, p] * x_padded[n, c, stride*p + (i, j)].
 * - unfold: a one-hot grouped Conv copies each k x k input window into channels ([N, C*k*k, P]),
 *   then a batched MatMul with dy and a sum over the batch: one large matrix product, the faster choice
 *   for small kernels with tens of channels, as long as the copied windows stay small (UNFOLD_LIMIT_PER_EXAMPLE).
 * - transposedConv: Conv(x^T [C, N, H, W], dy^T [F, N, Ho, Wo], dilation = stride) gives [C, F, k', k'],
 *   cropped to k x k. No large buffer; faster for large kernels with few filters.
 */
export function conv2dWeightGradient(
  g: GraphBuilder,
  x: string,
  dy: string,
  layer: ResolvedLayer<Conv2dSpec>,
  formulation: WeightGradientFormulation,
): string {
  const [channels, height, width] = layer.inputShape
  const [filters, outHeight, outWidth] = layer.outputShape
  const {kernel, stride, pads} = convGeometry(layer.spec, height, width)
  if (formulation === 'unfold') {
    const taps = channels * kernel * kernel
    const positions = outHeight * outWidth
    const unfolded = g.node('Conv', [x, unfoldKernel(g, channels, kernel)], {
      kernel_shape: [kernel, kernel],
      strides: [stride, stride],
      pads,
      group: channels,
    })
    const patches = g.node('Reshape', [unfolded, g.int64s([0, taps, positions])])
    const dyT = g.node('Transpose', [g.node('Reshape', [dy, g.int64s([0, filters, positions])])], {perm: [0, 2, 1]})
    const summed = reduceSum(g, g.node('MatMul', [patches, dyT]), [0], false)
    return g.node('Reshape', [
      g.node('Transpose', [summed], {perm: [1, 0]}),
      g.int64s([filters, channels, kernel, kernel]),
    ])
  }
  const xT = g.node('Transpose', [x], {perm: [1, 0, 2, 3]})
  const dyT = g.node('Transpose', [dy], {perm: [1, 0, 2, 3]})
  let dwT = g.node('Conv', [xT, dyT], {kernel_shape: [outHeight, outWidth], pads, dilations: [stride, stride]})
  // positions past the last full window (stride > 1 with leftover rows) give extra rows/columns to crop
  const fullHeight = height + pads[0] + pads[2] - stride * (outHeight - 1)
  const fullWidth = width + pads[1] + pads[3] - stride * (outWidth - 1)
  if (fullHeight !== kernel || fullWidth !== kernel) {
    dwT = g.node('Slice', [dwT, g.int64s([0, 0]), g.int64s([kernel, kernel]), g.int64s([2, 3])])
  }
  return g.node('Transpose', [dwT], {perm: [1, 0, 2, 3]})
}

import type {ResolvedLayer} from '../../model/resolve-model.js'
import type {Pool2dSpec} from '../../model/spec.js'
import {poolGeometry} from '../../model/window-geometry.js'
import type {GraphBuilder} from '../../onnx/graph-builder.js'
import {reduceSum, toFloat, unfoldKernel} from '../graph-ops.js'
import type {LayerEmitter} from '../layer-emitter.js'

/**
 * y = MaxPool(x). Backward: dy goes to the elements equal to their window's maximum, split evenly when
 * several elements tie (a valid subgradient; without the split, ties would receive dy more than once).
 * MaxPool's Indices output is avoided: ONNX Runtime's CPU kernel for it is far slower than MaxPool itself.
 */
export const emitMaxPool2d: LayerEmitter<Pool2dSpec> = (g, x, layer, _params, mode) => {
  const [, height, width] = layer.inputShape
  const {kernel, stride} = poolGeometry(layer.spec, height, width)
  const output = g.node('MaxPool', [x], {kernel_shape: [kernel, kernel], strides: [stride, stride]})
  if (mode === 'inference') return {output}
  const tiles = stride === kernel && height % kernel === 0 && width % kernel === 0
  return {
    output,
    backward: (dy) => ({
      params: {},
      dx: tiles ? tilingBackward(g, x, output, dy, kernel) : windowBackward(g, x, output, dy, layer),
    }),
  }
}

/**
 * Windows that tile the input exactly: nearest-neighbour upsampling of y lines every input element up
 * with its window's maximum, so the mask is one Equal; AveragePool of the mask counts the ties.
 */
function tilingBackward(g: GraphBuilder, x: string, y: string, dy: string, kernel: number): string {
  const scales = g.floatConstant([4], [1, 1, kernel, kernel])
  const upsample = (t: string) =>
    g.node('Resize', [t, '', scales], {
      mode: 'nearest',
      coordinate_transformation_mode: 'asymmetric',
      nearest_mode: 'floor',
    })
  const mask = toFloat(g, g.node('Equal', [x, upsample(y)]))
  const ties = g.node('Mul', [
    g.node('AveragePool', [mask], {kernel_shape: [kernel, kernel], strides: [kernel, kernel]}),
    g.scalar(kernel * kernel),
  ])
  return g.node('Mul', [mask, upsample(g.node('Div', [dy, ties]))])
}

/**
 * Overlapping windows, gaps between windows or leftover rows: unfold x into its windows
 * [N, C, k*k, Ho, Wo], build the per-window mask and tie count there, then fold the routed gradient back
 * with the adjoint ConvTranspose, which adds up the contributions of overlapping windows.
 */
function windowBackward(g: GraphBuilder, x: string, y: string, dy: string, layer: ResolvedLayer<Pool2dSpec>): string {
  const [channels, height, width] = layer.inputShape
  const [, outHeight, outWidth] = layer.outputShape
  const {kernel, stride} = poolGeometry(layer.spec, height, width)
  const taps = kernel * kernel
  const oneHot = unfoldKernel(g, channels, kernel)
  const windows = g.node('Reshape', [
    g.node('Conv', [x, oneHot], {kernel_shape: [kernel, kernel], strides: [stride, stride], group: channels}),
    g.int64s([0, channels, taps, outHeight, outWidth]),
  ])
  const perWindow = (t: string) => g.node('Reshape', [t, g.int64s([0, channels, 1, outHeight, outWidth])])
  const mask = toFloat(g, g.node('Equal', [windows, perWindow(y)]))
  const ties = reduceSum(g, mask, [2], true)
  const routed = g.node('Mul', [mask, g.node('Div', [perWindow(dy), ties])])
  return g.node(
    'ConvTranspose',
    [g.node('Reshape', [routed, g.int64s([0, channels * taps, outHeight, outWidth])]), oneHot],
    {
      kernel_shape: [kernel, kernel],
      strides: [stride, stride],
      group: channels,
      output_padding: [height - kernel - stride * (outHeight - 1), width - kernel - stride * (outWidth - 1)],
    },
  )
}

import type {Pool2dSpec} from '../../model/spec.js'
import {poolGeometry} from '../../model/window-geometry.js'
import type {LayerEmitter} from '../layer-emitter.js'

/**
 * y = AveragePool(x) (no padding). Backward: each window spreads dy / (k*k) over its elements; a
 * depthwise ConvTranspose with a constant 1/(k*k) kernel does exactly that, overlaps and gaps included.
 */
export const emitAvgPool2d: LayerEmitter<Pool2dSpec> = (g, x, layer, _params, mode) => {
  const [channels, height, width] = layer.inputShape
  const [, outHeight, outWidth] = layer.outputShape
  const {kernel, stride} = poolGeometry(layer.spec, height, width)
  const output = g.node('AveragePool', [x], {kernel_shape: [kernel, kernel], strides: [stride, stride]})
  if (mode === 'inference') return {output}
  return {
    output,
    backward: (dy) => ({
      params: {},
      dx: g.node(
        'ConvTranspose',
        [
          dy,
          g.floatConstant(
            [channels, 1, kernel, kernel],
            new Float32Array(channels * kernel * kernel).fill(1 / (kernel * kernel)),
          ),
        ],
        {
          kernel_shape: [kernel, kernel],
          strides: [stride, stride],
          group: channels,
          output_padding: [height - kernel - stride * (outHeight - 1), width - kernel - stride * (outWidth - 1)],
        },
      ),
    }),
  }
}

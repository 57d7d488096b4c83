import type {GradSaveFunc, Tensor, Tensor4D} from '@tensorflow/tfjs'
import type {WindowGeometry} from '../model/window-geometry.js'
import type {Tfjs} from './load-tfjs.js'

/**
 * y = conv2d(x [N, H, W, C], kernel [k, k, C, F]) with the engine's window geometry (explicit pads, so
 * 'same' pads exactly as the ONNX Runtime engine does).
 *
 * `pureJavaScript` (the cpu backend runs): TF.js's cpu Conv2DBackpropFilter reads every
 * element through TensorBuffer.get and measured 50-75x slower than a forward conv of the same size
 * (2.5 s against 49 ms for LeNet's first conv at batch 64), more than the rest of the step together.
 * The kernel gradient is then computed as a forward conv instead: dK = conv(x^T [C, H, W, N],
 * dy^T [Ho, Wo, N, F], dilation = stride), cropped to k x k, as engine/layers/conv2d.ts's
 * 'transposedConv' formulation does. Native backends keep TensorFlow's own gradient.
 * `needInputGradient` false (the lowest layer with parameters) skips dx, which nothing reads.
 */
export function conv2d(
  tf: Tfjs,
  x: Tensor4D,
  kernel: Tensor4D,
  geometry: WindowGeometry,
  options: {pureJavaScript: boolean; needInputGradient: boolean},
): Tensor4D {
  const {kernel: k, stride, pads} = geometry
  const padding: [[number, number], [number, number], [number, number], [number, number]] = [
    [0, 0],
    [pads[0], pads[2]],
    [pads[1], pads[3]],
    [0, 0],
  ]
  if (!options.pureJavaScript) return tf.conv2d(x, kernel, stride, padding)
  const convolve = tf.customGrad((input, filter, save) => {
    const [xs, w] = [input as Tensor4D, filter as Tensor4D]
    ;(save as GradSaveFunc)([xs, w])
    return {
      value: tf.conv2d(xs, w, stride, padding),
      gradFunc: (dy: Tensor, [xSaved, wSaved]: Tensor[]) => {
        const dy4 = dy as Tensor4D
        const dx = options.needInputGradient
          ? tf.conv2dTranspose(
              dy4,
              wSaved as Tensor4D,
              xSaved.shape as [number, number, number, number],
              stride,
              padding,
            )
          : tf.zerosLike(xSaved)
        const xT = tf.transpose(xSaved as Tensor4D, [3, 1, 2, 0])
        const dyT = tf.transpose(dy4, [1, 2, 0, 3])
        // positions past the last full window (stride > 1 with leftover rows) give extra rows to crop
        const full = tf.conv2d(xT, dyT, 1, padding, 'NHWC', stride)
        const dk = tf.transpose(tf.slice(full, [0, 0, 0, 0], [-1, k, k, -1]), [1, 2, 0, 3])
        return [dx, dk]
      },
    }
  })
  return convolve(x, kernel)
}

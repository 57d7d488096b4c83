import type {GradSaveFunc, Tensor, Tensor4D} from '@tensorflow/tfjs'
import type {WindowGeometry} from '../model/window-geometry.js'
import type {Tfjs} from './load-tfjs.js'

/**
 * y = maxPool(x [N, H, W, C]) without padding.
 *
 * `pureJavaScript`: TF.js's cpu MaxPoolGrad reads every element through TensorBuffer.get and measured
 * 5x slower than the rule below (183 ms against 35 ms for LeNet's first pool at batch 64, a fifth of the
 * whole step). When the windows tile the input exactly (LeNet's, the cnn preset's), the gradient is
 * computed instead as engine/layers/max-pool2d.ts's tiling rule does: nearest-neighbour upsampling of y
 * lines every element up with its window's maximum, dy goes to the elements equal to it, split evenly
 * between ties. Other windows, and native backends, keep TF.js's own gradient (all of dy to the first maximum).
 */
export function maxPool2d(tf: Tfjs, x: Tensor4D, geometry: WindowGeometry, pureJavaScript: boolean): Tensor4D {
  const {kernel, stride} = geometry
  const [, height, width] = x.shape
  const tiles = stride === kernel && height % kernel === 0 && width % kernel === 0
  if (!pureJavaScript || !tiles) return tf.maxPool(x, kernel, stride, 'valid')
  const pool = tf.customGrad((input, save) => {
    const xs = input as Tensor4D
    const y = tf.maxPool(xs, kernel, stride, 'valid')
    ;(save as GradSaveFunc)([xs, y])
    return {
      value: y,
      gradFunc: (dy: Tensor, [xSaved, ySaved]: Tensor[]) => {
        const upsample = (t: Tensor) => tf.image.resizeNearestNeighbor(t as Tensor4D, [height, width])
        const mask = tf.cast(tf.equal(xSaved, upsample(ySaved)), 'float32')
        const ties = tf.mul(tf.avgPool(mask as Tensor4D, kernel, kernel, 'valid'), kernel * kernel)
        return [tf.mul(mask, upsample(tf.div(dy, ties)))]
      },
    }
  })
  return pool(x)
}

import type {GradSaveFunc, Tensor, Tensor2D, Tensor3D} from '@tensorflow/tfjs'
import type {Tfjs} from './load-tfjs.js'

/*
 * The sequence layers in TF.js ops, as engine/layers/{embedding,conv1d,global-pool1d}.ts compute them, on
 * [N, L, C] tensors and a float32 mask [N, L] of the positions (1 = token).
 */

/** The window of `kernel` positions starting at each position, zero past the end: [N, L, C] → [N, L, F]. */
export function conv1d(tf: Tfjs, x: Tensor3D, kernel: Tensor3D, bias: Tensor): Tensor3D {
  const padded = tf.pad(x, [
    [0, 0],
    [0, kernel.shape[0] - 1],
    [0, 0],
  ])
  return tf.add<Tensor3D>(tf.conv1d(padded, kernel, 1, 'valid'), bias)
}

/** Rows of the table for the ids, zero on padding; autodiff's gradient then leaves the padding row 0. */
export function embedding(tf: Tfjs, ids: Tensor2D, table: Tensor2D, mask: Tensor2D): Tensor3D {
  return tf.mul<Tensor3D>(tf.gather(table, ids), tf.expandDims(mask, 2))
}

/** The mean over the positions holding a token (0 for an all-padding row). */
export function globalAveragePool1d(tf: Tfjs, x: Tensor3D, mask: Tensor2D): Tensor2D {
  const m = tf.expandDims<Tensor3D>(mask, 2)
  return tf.div<Tensor2D>(tf.sum(tf.mul(x, m), 1), tf.maximum(tf.sum(m, 1), 1))
}

/** Below any float32 activation, yet finite: what padded positions hold in the maximum. */
const LOWEST_FLOAT32 = -3.4028234663852886e38

/**
 * The maximum over the positions holding a token (0 for an all-padding row). Custom gradient: dy is split
 * evenly between tied maxima, as the ONNX Runtime engine's rule does; TF.js's own max gradient would give
 * each of them all of dy.
 */
export function globalMaxPool1d(tf: Tfjs, x: Tensor3D, mask: Tensor2D): Tensor2D {
  const m = tf.expandDims<Tensor3D>(mask, 2)
  const hasToken = tf.max(m, 1)
  const pool = tf.customGrad((input, save) => {
    // padding moved to the lowest float32: x + 0 on tokens, x - 3.4e38 on padding
    const candidates = tf.add(input as Tensor3D, tf.mul(tf.sub(m, 1), -LOWEST_FLOAT32))
    const y = tf.mul(tf.max(candidates, 1), hasToken)
    ;(save as GradSaveFunc)([candidates, y])
    return {
      value: y,
      gradFunc: (dy: Tensor, [candidatesSaved, ySaved]: Tensor[]) => {
        const winners = tf.mul(tf.cast(tf.equal(candidatesSaved, tf.expandDims(ySaved, 1)), 'float32'), m)
        const ties = tf.maximum(tf.sum(winners, 1), 1)
        return [tf.mul(winners, tf.expandDims(tf.div(dy, ties), 1))]
      },
    }
  })
  return pool(x) as Tensor2D
}

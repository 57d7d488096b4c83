import type {GradSaveFunc, Tensor, Tensor2D, Tensor3D} from '@tensorflow/tfjs'
import type {Tfjs} from './load-tfjs.js'

/*
 * The sequence layers in TF.js ops, as engine/layers/{embedding,global-pool1d}.ts compute them, on
 * [N, L, C] tensors and a float32 mask [N, L0] of the input's positions (1 = token). A layer on a sequence
 * shortened by valid convolutions uses the mask's first L positions: the windows that start at a token.
 */

/** The first `length` positions of the mask [N, L0], as [N, length, 1] to broadcast over channels. */
function positionsMask(tf: Tfjs, mask: Tensor2D, length: number): Tensor3D {
  const sliced = length === mask.shape[1] ? mask : tf.slice(mask, [0, 0], [-1, length])
  return tf.expandDims<Tensor3D>(sliced, 2)
}

/** Rows of the table for the ids, zero on padding; autodiff's gradient then leaves the padding row 0. */
export function embedding(tf: Tfjs, ids: Tensor2D, table: Tensor2D, mask: Tensor2D): Tensor3D {
  return tf.mul<Tensor3D>(tf.gather(table, ids), tf.expandDims(mask, 2))
}

/** The mean over the positions holding a token (0 for an all-padding row). */
export function globalAveragePool1d(tf: Tfjs, x: Tensor3D, mask: Tensor2D): Tensor2D {
  const m = positionsMask(tf, mask, x.shape[1])
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
  const m = positionsMask(tf, mask, x.shape[1])
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

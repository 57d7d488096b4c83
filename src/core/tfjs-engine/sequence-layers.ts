import type {GradSaveFunc, Tensor, Tensor2D, Tensor3D} from '@tensorflow/tfjs'
import type {Tfjs} from './load-tfjs.js'

/*
 * The sequence layers in TF.js ops, as engine/layers/{embedding,conv1d,global-pool1d}.ts compute them, on
 * [N, L, C] tensors and a float32 mask [N, L] of the positions (1 = token).
 */

/**
 * The window of `kernel` positions starting at each position, zero past the end: [N, L, C] → [N, L, F].
 *
 * `pureJavaScript`: TF.js's cpu gradients of conv1d (Conv2DBackpropFilter/Input read every element through
 * TensorBuffer.get) measured 450 ms a step for a [64, 16, 16] input; the rule below is engine/layers/conv1d.ts's:
 * the k shifted views of the padded input side by side (im2col) and two matrix products.
 */
export function conv1d(tf: Tfjs, x: Tensor3D, kernel: Tensor3D, bias: Tensor, pureJavaScript: boolean): Tensor3D {
  const [k, channels, filters] = kernel.shape
  const padEnd = (t: Tensor3D) =>
    tf.pad(t, [
      [0, 0],
      [0, k - 1],
      [0, 0],
    ])
  if (!pureJavaScript) return tf.add<Tensor3D>(tf.conv1d(padEnd(x), kernel, 1, 'valid'), bias)
  const convolve = tf.customGrad((input, filter, save) => {
    const [xs, w] = [input as Tensor3D, filter as Tensor3D]
    const [n, length] = xs.shape
    const padded = padEnd(xs)
    const windows = tf.reshape(
      tf.concat(
        Array.from({length: k}, (_, j) => tf.slice(padded, [0, j, 0], [-1, length, -1])),
        2,
      ),
      [n * length, k * channels],
    )
    const w2 = tf.reshape(w, [k * channels, filters])
    ;(save as GradSaveFunc)([windows, w2])
    return {
      value: tf.reshape(tf.matMul(windows, w2), [n, length, filters]),
      gradFunc: (dy: Tensor, [windowsSaved, wSaved]: Tensor[]) => {
        const rows = tf.reshape(dy, [n * length, filters])
        const dk = tf.reshape(tf.matMul(windowsSaved as Tensor2D, rows as Tensor2D, true, false), [
          k,
          channels,
          filters,
        ])
        // each window's gradient goes back to the k positions it read: shift tap j by j and add up
        const dWindows = tf.reshape(tf.matMul(rows as Tensor2D, wSaved as Tensor2D, false, true), [
          n,
          length,
          k,
          channels,
        ])
        let dx: Tensor3D = tf.zeros([n, length, channels])
        for (let j = 0; j < k; j++) {
          const tap = tf.reshape(tf.slice(dWindows, [0, 0, j, 0], [-1, -1, 1, -1]), [n, length, channels])
          const shifted =
            j === 0
              ? tap
              : tf.slice(
                  tf.pad(tap, [
                    [0, 0],
                    [j, 0],
                    [0, 0],
                  ]),
                  [0, 0, 0],
                  [-1, length, -1],
                )
          dx = tf.add(dx, shifted)
        }
        return [dx, dk]
      },
    }
  })
  return tf.add<Tensor3D>(convolve(x, kernel), bias)
}

/**
 * Rows of the table for the ids, zero on padding, so the padding row gets no gradient. `pureJavaScript`:
 * TF.js's cpu gradient of gather (UnsortedSegmentSum) compares every id with every row and measured 1 s a step
 * for a 64 x 16 batch into 155 rows; the gradient is then added up row by row in one loop, as the ONNX
 * Runtime engine's ScatterND does.
 */
export function embedding(tf: Tfjs, ids: Tensor2D, table: Tensor2D, mask: Tensor2D, pureJavaScript: boolean): Tensor3D {
  const lookup = (w: Tensor) => tf.mul<Tensor3D>(tf.gather(w, ids), tf.expandDims(mask, 2))
  if (!pureJavaScript) return lookup(table)
  const [vocab, dim] = table.shape
  // read now: the tensors are disposed by the time the gradient runs
  const rows = ids.dataSync()
  const present = mask.dataSync()
  const gathered = tf.customGrad((w) => ({
    value: lookup(w as Tensor),
    gradFunc: (dy: Tensor) => {
      const gradient = new Float32Array(vocab * dim)
      const upstream = dy.dataSync()
      for (let p = 0; p < rows.length; p++) {
        if (present[p] === 0) continue
        const row = rows[p] * dim
        for (let d = 0; d < dim; d++) gradient[row + d] += upstream[p * dim + d]
      }
      return [tf.tensor2d(gradient, [vocab, dim])]
    },
  }))
  return gathered(table) as Tensor3D
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

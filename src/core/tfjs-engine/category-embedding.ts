import type {Tensor2D} from '@tensorflow/tfjs'
import type {CategoryEmbeddingSpec} from '../model/spec.js'
import type {Tfjs} from './load-tfjs.js'
import {embedding} from './sequence-layers.js'

/**
 * engine/layers/category-embedding.ts in TF.js ops: column `column` of x [N, F] read as a category index (truncated;
 * 0, the unknown index, unless -1 < x < categories), looked up with the token embedding's
 * lookup (one position, no padding), and appended to the other columns. The ids are read out of x rather than
 * computed by ops on it: an index has no gradient, and TF.js's autodiff would send gather's int32 "gradient"
 * of its indices back through the cast into x.
 */
export function categoryEmbedding(
  tf: Tfjs,
  x: Tensor2D,
  table: Tensor2D,
  spec: CategoryEmbeddingSpec,
  pureJavaScript: boolean,
): Tensor2D {
  const [count, features] = x.shape
  const {column, categories, dim} = spec
  const cells = tf.slice(x, [0, column], [-1, 1]).dataSync()
  const ids = Int32Array.from(cells, (v) => (v > -1 && v < categories ? Math.trunc(v) : 0))
  const vectors: Tensor2D = tf.reshape(
    embedding(tf, tf.tensor2d(ids, [count, 1], 'int32'), table, tf.ones([count, 1]), pureJavaScript),
    [count, dim],
  )
  const others: Tensor2D[] = [
    ...(column > 0 ? [tf.slice(x, [0, 0], [-1, column])] : []),
    ...(column < features - 1 ? [tf.slice(x, [0, column + 1], [-1, -1])] : []),
  ]
  return others.length > 0 ? tf.concat2d([...others, vectors], 1) : vectors
}

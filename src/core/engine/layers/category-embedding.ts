import type {CategoryEmbeddingSpec} from '../../model/spec.js'
import {OnnxDataType} from '../../onnx/onnx-proto.js'
import type {LayerEmitter} from '../layer-emitter.js'
import {scatterAddRows} from './embedding.js'

/**
 * y[n] = [x[n] without column c, W[id[n]]] where id[n] = x[n, c] as an integer, read as 0 (the unknown bucket)
 * outside [0, categories) or when not a number, so that a client's bad index gets the unknown value rather
 * than failing the Gather. Backward: dW = the vector part of dy summed into the rows of the ids (the token
 * embedding's scatterAddRows); dx = dy's other columns back at their positions and 0 at column c, whose
 * index has no slope.
 */
export const emitCategoryEmbedding: LayerEmitter<CategoryEmbeddingSpec> = (g, x, layer, params, mode) => {
  const [features] = layer.inputShape
  const {column, categories, dim} = layer.spec
  const columns = (from: number, to: number, of = x) =>
    g.node('Slice', [of, g.int64s([from]), g.int64s([to]), g.int64s([1])])
  const cell = columns(column, column + 1)
  const inRange = g.node('And', [
    g.node('GreaterOrEqual', [cell, g.scalar(0)]),
    g.node('LessOrEqual', [cell, g.scalar(categories - 1)]),
  ])
  const ids = g.node('Cast', [g.node('Where', [inRange, cell, g.scalar(0)])], {to: OnnxDataType.int64})
  // [N, 1] ids give [N, 1, dim] rows
  const vectors = g.node('Flatten', [g.node('Gather', [params.embeddings!, ids], {axis: 0})], {axis: 1})
  const before = column > 0 ? [columns(0, column)] : []
  const after = column < features - 1 ? [columns(column + 1, features)] : []
  const output =
    before.length + after.length > 0 ? g.node('Concat', [...before, ...after, vectors], {axis: 1}) : vectors
  if (mode === 'inference') return {output}
  return {
    output,
    backward: (dy, needInputGradient) => {
      const others = features - 1
      const dVectors = others > 0 ? columns(others, others + dim, dy) : dy
      const perId = g.node('Unsqueeze', [dVectors, g.int64s([1])])
      const dw = scatterAddRows(g, layer.parameters[0].shape, ids, perId)
      if (!needInputGradient) return {params: {embeddings: dw}}
      const zeros = g.node('ConstantOfShape', [g.node('Shape', [cell])])
      const dx = g.node(
        'Concat',
        [
          ...(column > 0 ? [columns(0, column, dy)] : []),
          zeros,
          ...(column < others ? [columns(column, others, dy)] : []),
        ],
        {axis: 1},
      )
      return {params: {embeddings: dw}, dx}
    },
  }
}

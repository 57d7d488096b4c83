import type {CategoryEmbeddingSpec} from '../../model/spec.js'
import {OnnxDataType} from '../../onnx/onnx-proto.js'
import type {LayerEmitter} from '../layer-emitter.js'
import {scatterAddRows} from './embedding.js'

/**
 * y[n] = [x[n] without column c, W[id[n]]] where id[n] is x[n, c] truncated to an integer, or 0 (the unknown
 * index) unless -1 < x[n, c] < categories (a NaN too), so that a client's bad index gets the unknown vector
 * rather than failing the Gather. The forward uses ops of opset 9 (Gather, not Slice, picks the columns), as
 * an export may declare it. Backward: dW = the vector part of dy summed into the rows of the ids (the token
 * embedding's scatterAddRows); dx = dy's other columns back at their positions and 0 at column c, whose index
 * has no slope.
 */
export const emitCategoryEmbedding: LayerEmitter<CategoryEmbeddingSpec> = (g, x, layer, params, mode) => {
  const [features] = layer.inputShape
  const {column, categories, dim} = layer.spec
  const cell = g.node('Gather', [x, g.int64s([column])], {axis: 1})
  const inRange = g.node('And', [g.node('Greater', [cell, g.scalar(-1)]), g.node('Less', [cell, g.scalar(categories)])])
  const ids = g.node('Cast', [g.node('Where', [inRange, cell, g.scalar(0)])], {to: OnnxDataType.int64})
  // [N, 1] ids give [N, 1, dim] rows
  const vectors = g.node('Flatten', [g.node('Gather', [params.embeddings!, ids], {axis: 0})], {axis: 1})
  const others = Array.from({length: features}, (_, c) => c).filter((c) => c !== column)
  const output =
    others.length > 0
      ? g.node('Concat', [g.node('Gather', [x, g.int64s(others)], {axis: 1}), vectors], {axis: 1})
      : vectors
  if (mode === 'inference') return {output}
  const columns = (of: string, from: number, to: number) =>
    g.node('Slice', [of, g.int64s([from]), g.int64s([to]), g.int64s([1])])
  return {
    output,
    backward: (dy, needInputGradient) => {
      const width = others.length
      const dVectors = width > 0 ? columns(dy, width, width + dim) : dy
      const perId = g.node('Unsqueeze', [dVectors, g.int64s([1])])
      const dw = scatterAddRows(g, layer.parameters[0].shape, ids, perId)
      if (!needInputGradient) return {params: {embeddings: dw}}
      const zeros = g.node('ConstantOfShape', [g.node('Shape', [cell])])
      const before = column > 0 ? [columns(dy, 0, column)] : []
      const after = column < width ? [columns(dy, column, width)] : []
      return {params: {embeddings: dw}, dx: g.node('Concat', [...before, zeros, ...after], {axis: 1})}
    },
  }
}

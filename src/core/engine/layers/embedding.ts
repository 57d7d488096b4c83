import type {EmbeddingSpec} from '../../model/spec.js'
import {OnnxDataType} from '../../onnx/onnx-proto.js'
import type {GraphBuilder} from '../../onnx/graph-builder.js'
import type {LayerEmitter} from '../layer-emitter.js'

/**
 * y[n, t] = W[ids[n, t]] * mask[n, t]: a row lookup, zeroed on padding so that padding never counts in any
 * later layer, whatever its row holds. Backward: dW = the sum of dy over the positions holding each id
 * (scatterAddRows), dy masked first, so the padding row gets no gradient. Token ids have no gradient, so
 * there is never a dx.
 */
export const emitEmbedding: LayerEmitter<EmbeddingSpec> = (g, ids, layer, params, mode, context) => {
  const mask = g.node('Unsqueeze', [context.sequenceMask(), g.int64s([2])])
  const output = g.node('Mul', [g.node('Gather', [params.embeddings!, ids], {axis: 0}), mask])
  if (mode === 'inference') return {output}
  return {
    output,
    backward: (dy) => ({
      params: {embeddings: scatterAddRows(g, layer.parameters[0].shape, ids, g.node('Mul', [dy, mask]))},
    }),
  }
}

/**
 * The gradient of a row lookup Gather(W, ids) of a table W of `tableShape`: each row of dy (one per id,
 * dy's shape being ids' plus the row width) added into the row its id looked up, by ScatterND with
 * reduction add into zeros, so an id met twice gets both contributions.
 */
export function scatterAddRows(g: GraphBuilder, tableShape: number[], ids: string, dy: string): string {
  const indices = g.node('Unsqueeze', [g.node('Cast', [ids], {to: OnnxDataType.int64}), g.int64s([-1])])
  const zeros = g.node('ConstantOfShape', [g.int64s(tableShape)])
  return g.node('ScatterND', [zeros, indices, dy], {reduction: 'add'})
}

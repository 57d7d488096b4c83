import type {EmbeddingSpec} from '../../model/spec.js'
import {OnnxDataType} from '../../onnx/onnx-proto.js'
import type {LayerEmitter} from '../layer-emitter.js'

/**
 * y[n, t] = W[ids[n, t]] * mask[n, t]: a row lookup, zeroed on padding so that padding never counts in any
 * later layer, whatever its row holds. Backward: dW = the sum of dy over the positions holding each id
 * (ScatterND with reduction add into zeros), dy masked first, so the padding row gets no gradient. Token ids
 * have no gradient, so there is never a dx.
 */
export const emitEmbedding: LayerEmitter<EmbeddingSpec> = (g, ids, layer, params, mode, context) => {
  const mask = g.node('Unsqueeze', [context.sequenceMask(), g.int64s([2])])
  const output = g.node('Mul', [g.node('Gather', [params.embeddings!, ids], {axis: 0}), mask])
  if (mode === 'inference') return {output}
  return {
    output,
    backward: (dy) => {
      const indices = g.node('Unsqueeze', [g.node('Cast', [ids], {to: OnnxDataType.int64}), g.int64s([2])])
      const zeros = g.node('ConstantOfShape', [g.int64s(layer.parameters[0].shape)])
      const dw = g.node('ScatterND', [zeros, indices, g.node('Mul', [dy, mask])], {reduction: 'add'})
      return {params: {embeddings: dw}}
    },
  }
}

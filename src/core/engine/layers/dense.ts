import type {DenseSpec} from '../../model/spec.js'
import {reduceSum} from '../graph-ops.js'
import type {LayerEmitter} from '../layer-emitter.js'

/** y = x W + b with W [inputs, units] (Keras layout). Backward: dW = x^T dy, db = sum(dy), dx = dy W^T. */
export const emitDense: LayerEmitter<DenseSpec> = (g, x, _layer, params, mode) => {
  const output = g.node('Gemm', [x, params.kernel!, params.bias!])
  if (mode === 'inference') return {output}
  return {
    output,
    backward: (dy, needInputGradient) => ({
      params: {kernel: g.node('Gemm', [x, dy], {transA: 1}), bias: reduceSum(g, dy, [0], false)},
      dx: needInputGradient ? g.node('Gemm', [dy, params.kernel!], {transB: 1}) : undefined,
    }),
  }
}

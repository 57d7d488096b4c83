import type {ActivationSpec} from '../../model/spec.js'
import {reduceSum} from '../graph-ops.js'
import type {LayerEmitter} from '../layer-emitter.js'

/**
 * Softmax over the features of [N, K]. Only emitted when the loss is not softmax cross-entropy (which
 * takes the logits before it). Backward: dx = y * (dy - sum(dy * y)).
 */
export const emitSoftmax: LayerEmitter<ActivationSpec> = (g, x, _layer, _params, mode) => {
  const output = g.node('Softmax', [x], {axis: 1})
  if (mode === 'inference') return {output}
  return {
    output,
    backward: (dy) => ({
      params: {},
      dx: g.node('Mul', [output, g.node('Sub', [dy, reduceSum(g, g.node('Mul', [dy, output]), [1], true)])]),
    }),
  }
}

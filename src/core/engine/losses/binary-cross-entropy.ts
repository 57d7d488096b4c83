import {elementCount} from '../graph-ops.js'
import type {LossRule} from './loss-rule.js'

/**
 * Binary cross-entropy on logits z, stable for any z: mean of max(z, 0) - z*y + log(1 + exp(-|z|)).
 * Gradient: (sigmoid(z) - y) / count.
 */
export function binaryCrossEntropy(): LossRule {
  return {
    emit(g, logits, targets) {
      const perElement = g.node('Add', [
        g.node('Sub', [g.node('Relu', [logits]), g.node('Mul', [logits, targets])]),
        g.node('Softplus', [g.node('Neg', [g.node('Abs', [logits])])]),
      ])
      return {
        loss: g.node('ReduceMean', [perElement], {keepdims: 0}),
        gradient: () => g.node('Div', [g.node('Sub', [g.node('Sigmoid', [logits]), targets]), elementCount(g, logits)]),
      }
    },
  }
}

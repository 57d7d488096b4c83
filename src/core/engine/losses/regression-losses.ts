import {elementCount} from '../graph-ops.js'
import type {LossRule} from './loss-rule.js'

/** Losses on the error d = output - target, averaged over every element. */

/** mean(d^2); gradient 2d / count. */
export function meanSquaredError(): LossRule {
  return {
    emit(g, output, targets) {
      const d = g.node('Sub', [output, targets])
      return {
        loss: g.node('ReduceMean', [g.node('Mul', [d, d])], {keepdims: 0}),
        gradient: () => g.node('Div', [g.node('Mul', [d, g.scalar(2)]), elementCount(g, output)]),
      }
    },
  }
}

/** mean(|d|); gradient sign(d) / count. */
export function meanAbsoluteError(): LossRule {
  return {
    emit(g, output, targets) {
      const d = g.node('Sub', [output, targets])
      return {
        loss: g.node('ReduceMean', [g.node('Abs', [d])], {keepdims: 0}),
        gradient: () => g.node('Div', [g.node('Sign', [d]), elementCount(g, output)]),
      }
    },
  }
}

/**
 * Huber: 0.5 d^2 where |d| <= delta, delta * (|d| - 0.5 delta) beyond; written as 0.5 q^2 + delta * (|d| - q)
 * with q = min(|d|, delta). Gradient clip(d, -delta, delta) / count.
 */
export function huber(delta: number): LossRule {
  return {
    emit(g, output, targets) {
      const d = g.node('Sub', [output, targets])
      const absolute = g.node('Abs', [d])
      const quadratic = g.node('Min', [absolute, g.scalar(delta)])
      const perElement = g.node('Add', [
        g.node('Mul', [g.node('Mul', [quadratic, quadratic]), g.scalar(0.5)]),
        g.node('Mul', [g.node('Sub', [absolute, quadratic]), g.scalar(delta)]),
      ])
      return {
        loss: g.node('ReduceMean', [perElement], {keepdims: 0}),
        gradient: () =>
          g.node('Div', [g.node('Clip', [d, g.scalar(-delta), g.scalar(delta)]), elementCount(g, output)]),
      }
    },
  }
}

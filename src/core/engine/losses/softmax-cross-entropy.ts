import {batchSize, reduceSum} from '../graph-ops.js'
import type {LossRule} from './loss-rule.js'

/**
 * Mean over the batch of -sum(t * log_softmax(z)), t the (smoothed) one-hot target.
 * Gradient: (softmax(z) - t) / batch.
 */
export function softmaxCrossEntropy(labelSmoothing: number): LossRule {
  return {
    emit(g, logits, labels, classes) {
      const off = labelSmoothing / classes
      const oneHot = g.node(
        'OneHot',
        [labels, g.int64s([classes]), g.floatConstant([2], [off, 1 - labelSmoothing + off])],
        {axis: -1},
      )
      const logProbabilities = g.node('LogSoftmax', [logits], {axis: 1})
      const perExample = reduceSum(g, g.node('Mul', [oneHot, logProbabilities]), [1], false)
      return {
        loss: g.node('Neg', [g.node('ReduceMean', [perExample], {keepdims: 0})]),
        gradient: () =>
          g.node('Div', [g.node('Sub', [g.node('Exp', [logProbabilities]), oneHot]), batchSize(g, logits)]),
      }
    },
  }
}

import {UserError} from '../errors.js'
import type {GraphBuilder} from '../onnx/graph-builder.js'
import {toFloat} from './graph-ops.js'
import type {LossConfig} from './losses/index.js'

/**
 * accuracy: share of examples whose arg-max logit is the label (softmax cross-entropy), or share of
 * outputs whose logit has the target's side of 0.5 (binary cross-entropy). mae / rmse: over every output.
 */
export type MetricName = 'accuracy' | 'mae' | 'rmse'

export const METRIC_NAMES: readonly MetricName[] = ['accuracy', 'mae', 'rmse']

/**
 * The graph emits a sum over the batch so that batches of any size combine exactly; the trainer divides
 * by examples * termsPerExample and applies finish.
 */
export interface MetricRule {
  name: MetricName
  emitSum(g: GraphBuilder, output: string, target: string): string
  termsPerExample: number
  finish(meanOfTerms: number): number
}

export function defaultMetric(loss: LossConfig): MetricName {
  return loss.name === 'softmaxCrossEntropy' || loss.name === 'binaryCrossEntropy' ? 'accuracy' : 'mae'
}

export function metricRule(name: MetricName, loss: LossConfig, outputs: number): MetricRule {
  const sumAll = (g: GraphBuilder, x: string) => g.node('ReduceSum', [x], {keepdims: 0})
  const identity = (v: number) => v
  if (name === 'accuracy') {
    if (loss.name === 'softmaxCrossEntropy') {
      return {
        name,
        emitSum: (g, logits, labels) =>
          sumAll(g, toFloat(g, g.node('Equal', [g.node('ArgMax', [logits], {axis: 1, keepdims: 0}), labels]))),
        termsPerExample: 1,
        finish: identity,
      }
    }
    if (loss.name === 'binaryCrossEntropy') {
      return {
        name,
        emitSum: (g, logits, targets) =>
          sumAll(
            g,
            toFloat(
              g,
              g.node('Equal', [g.node('Greater', [logits, g.scalar(0)]), g.node('Greater', [targets, g.scalar(0.5)])]),
            ),
          ),
        termsPerExample: outputs,
        finish: identity,
      }
    }
    throw new UserError(
      `metric accuracy needs a classification loss (softmaxCrossEntropy or binaryCrossEntropy), not ${loss.name}`,
    )
  }
  if (name !== 'mae' && name !== 'rmse')
    throw new UserError(`unknown metric ${JSON.stringify(name)}; use one of ${METRIC_NAMES.join(', ')}`)
  if (loss.name === 'softmaxCrossEntropy' || loss.name === 'binaryCrossEntropy') {
    throw new UserError(`metric ${name} needs a regression loss (mse, mae or huber), not ${loss.name}`)
  }
  return {
    name,
    emitSum: (g, output, targets) => {
      const d = g.node('Sub', [output, targets])
      return sumAll(g, name === 'mae' ? g.node('Abs', [d]) : g.node('Mul', [d, d]))
    },
    termsPerExample: outputs,
    finish: name === 'mae' ? identity : Math.sqrt,
  }
}

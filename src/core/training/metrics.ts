import {UserError} from '../errors.js'
import {isRegressionLoss, type LossConfig, type TargetKind} from './loss-config.js'

/**
 * accuracy: share of examples whose arg-max logit is the label (softmax cross-entropy), or share of
 * outputs whose logit has the target's side of 0.5 (binary cross-entropy). mae / rmse: over every output.
 */
export type MetricName = 'accuracy' | 'mae' | 'rmse'

export const METRIC_NAMES: readonly MetricName[] = ['accuracy', 'mae', 'rmse']

/**
 * An engine computes a metric as a sum over each batch, so that batches of any size combine exactly;
 * `metricValue` turns the sums into the metric.
 */
export interface MetricRule {
  name: MetricName
  /** labels: accuracy compares the arg-max with class labels; values: outputs are compared with float targets. */
  target: TargetKind
  termsPerExample: number
  finish(meanOfTerms: number): number
}

export function defaultMetric(loss: LossConfig): MetricName {
  return isRegressionLoss(loss) ? 'mae' : 'accuracy'
}

/** The rule for a metric with a loss; throws UserError when the metric does not fit the loss's targets. */
export function metricRule(name: MetricName, loss: LossConfig, outputs: number): MetricRule {
  const identity = (v: number) => v
  if (name === 'accuracy') {
    if (loss.name === 'softmaxCrossEntropy') return {name, target: 'labels', termsPerExample: 1, finish: identity}
    if (loss.name === 'binaryCrossEntropy') return {name, target: 'values', termsPerExample: outputs, finish: identity}
    throw new UserError(
      `metric accuracy needs a classification loss (softmaxCrossEntropy or binaryCrossEntropy), not ${loss.name}`,
    )
  }
  if (name !== 'mae' && name !== 'rmse')
    throw new UserError(`unknown metric ${JSON.stringify(name)}; use one of ${METRIC_NAMES.join(', ')}`)
  if (loss.name === 'softmaxCrossEntropy' || loss.name === 'binaryCrossEntropy') {
    throw new UserError(`metric ${name} needs a regression loss (mse, mae or huber), not ${loss.name}`)
  }
  return {name, target: 'values', termsPerExample: outputs, finish: name === 'mae' ? identity : Math.sqrt}
}

/** The metric over `examples` examples whose batch sums add up to `sum`. */
export function metricValue(rule: MetricRule, sum: number, examples: number): number {
  return rule.finish(sum / (examples * rule.termsPerExample))
}

import type {GraphBuilder} from '../onnx/graph-builder.js'
import type {MetricRule} from '../training/metrics.js'
import {toFloat} from './graph-ops.js'

/** Emits the metric's sum over the batch: correct examples or outputs, or absolute or squared errors. */
export function emitMetricSum(g: GraphBuilder, metric: MetricRule, output: string, target: string): string {
  const sumAll = (x: string) => g.node('ReduceSum', [x], {keepdims: 0})
  if (metric.name === 'accuracy' && metric.target === 'labels')
    return sumAll(toFloat(g, g.node('Equal', [g.node('ArgMax', [output], {axis: 1, keepdims: 0}), target])))
  if (metric.name === 'accuracy') {
    return sumAll(
      toFloat(
        g,
        g.node('Equal', [g.node('Greater', [output, g.scalar(0)]), g.node('Greater', [target, g.scalar(0.5)])]),
      ),
    )
  }
  const d = g.node('Sub', [output, target])
  return sumAll(metric.name === 'mae' ? g.node('Abs', [d]) : g.node('Mul', [d, d]))
}

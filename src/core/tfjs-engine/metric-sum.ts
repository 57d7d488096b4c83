import type {BatchTargets, MetricRule} from '../training/index.js'

/**
 * The metric's sum over a batch, as the ONNX Runtime engine's graphs compute it, from the model output
 * [count, outputs]: correct examples (labels: arg-max, first maximum on ties, as ONNX ArgMax), outputs on
 * the target's side of 0.5 (binary: logit > 0), or absolute / squared errors.
 */
export function metricSum(
  rule: MetricRule,
  output: Float32Array,
  targets: BatchTargets,
  count: number,
  outputs: number,
): number {
  let sum = 0
  if (rule.name === 'accuracy' && rule.target === 'labels') {
    for (let n = 0; n < count; n++) {
      let best = 0
      for (let k = 1; k < outputs; k++) if (output[n * outputs + k] > output[n * outputs + best]) best = k
      if (best === targets[n]) sum++
    }
    return sum
  }
  for (let i = 0; i < count * outputs; i++) {
    const d = output[i] - targets[i]
    if (rule.name === 'accuracy') sum += output[i] > 0 === targets[i] > 0.5 ? 1 : 0
    else sum += rule.name === 'mae' ? Math.abs(d) : d * d
  }
  return sum
}

/** Float64 reference losses, straight from their definitions (means as documented in src/core/engine/losses). */
import type {LossConfig} from '../../../src/core/training/index.js'

export function referenceLoss(
  config: LossConfig,
  output: Float64Array,
  target: ArrayLike<number>,
  batch: number,
): number {
  const k = output.length / batch
  switch (config.name) {
    case 'softmaxCrossEntropy': {
      const smoothing = config.labelSmoothing ?? 0
      let total = 0
      for (let n = 0; n < batch; n++) {
        const row = output.subarray(n * k, (n + 1) * k)
        const max = Math.max(...row)
        const logSumExp = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0))
        for (let j = 0; j < k; j++) {
          const t = (j === target[n] ? 1 - smoothing : 0) + smoothing / k
          total -= t * (row[j] - logSumExp)
        }
      }
      return total / batch
    }
    case 'binaryCrossEntropy':
      return mean(output, (z, i) => Math.max(z, 0) - z * target[i] + Math.log1p(Math.exp(-Math.abs(z))))
    case 'mse':
      return mean(output, (o, i) => (o - target[i]) ** 2)
    case 'mae':
      return mean(output, (o, i) => Math.abs(o - target[i]))
    case 'huber': {
      const delta = config.delta ?? 1
      return mean(output, (o, i) => {
        const d = Math.abs(o - target[i])
        return d <= delta ? 0.5 * d * d : delta * (d - 0.5 * delta)
      })
    }
  }
}

function mean(values: Float64Array, term: (v: number, i: number) => number): number {
  let total = 0
  values.forEach((v, i) => (total += term(v, i)))
  return total / values.length
}

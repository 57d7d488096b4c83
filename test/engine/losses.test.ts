/**
 * Every loss: its value against the float64 reference and its gradient against central differences of
 * that reference (tolerance in gradient-check.ts); metrics against direct computation.
 */
import {describe, expect, it} from 'vitest'
import {lossRule} from '../../src/core/engine/losses/index.js'
import {emitMetricSum} from '../../src/core/engine/metric-sum.js'
import {emitTargetInput} from '../../src/core/engine/target-input.js'
import {UserError} from '../../src/core/errors.js'
import {GraphBuilder} from '../../src/core/onnx/graph-builder.js'
import {lossTarget, metricRule, type LossConfig, type MetricName} from '../../src/core/training/index.js'
import {expectGradientClose, numericGradient, randomValues, runOnce} from './helpers/gradient-check.js'
import {referenceLoss} from './helpers/reference-losses.js'

const BATCH = 4
const OUTPUTS = 3

function targetsFor(config: LossConfig): Uint8Array | Float32Array {
  if (config.name === 'softmaxCrossEntropy') return Uint8Array.from({length: BATCH}, (_, n) => (n * 2) % OUTPUTS)
  if (config.name === 'binaryCrossEntropy')
    return randomValues(BATCH * OUTPUTS, 9, 0, 1).map((v) => (v < 0.3 ? 0 : v < 0.6 ? 1 : v))
  return randomValues(BATCH * OUTPUTS, 9, -2, 2)
}

async function runLoss(
  config: LossConfig,
  metric: MetricName,
  output: Float32Array,
  targets: Uint8Array | Float32Array,
) {
  const rule = lossRule(config)
  const g = new GraphBuilder('loss-check')
  const x = g.input('output', 'float32', [BATCH, OUTPUTS])
  const target = emitTargetInput(g, lossTarget(config), OUTPUTS)
  const emission = rule.emit(g, x, target, OUTPUTS)
  g.output(emission.loss, 'loss', 'float32', [])
  g.output(emission.gradient(), 'gradient', 'float32', [BATCH, OUTPUTS])
  g.output(emitMetricSum(g, metricRule(metric, config, OUTPUTS), x, target), 'metric', 'float32', [])
  const dims = lossTarget(config) === 'labels' ? [BATCH] : [BATCH, OUTPUTS]
  return runOnce(g.toBytes(), {output: {data: output, dims: [BATCH, OUTPUTS]}, target: {data: targets, dims}})
}

describe('loss gradients', () => {
  it.each<[LossConfig, MetricName]>([
    [{name: 'softmaxCrossEntropy'}, 'accuracy'],
    [{name: 'softmaxCrossEntropy', labelSmoothing: 0.1}, 'accuracy'],
    [{name: 'binaryCrossEntropy'}, 'accuracy'],
    [{name: 'mse'}, 'rmse'],
    [{name: 'mae'}, 'mae'],
    [{name: 'huber'}, 'mae'],
    [{name: 'huber', delta: 0.5}, 'rmse'],
  ])('%o', async (config, metric) => {
    // logits up to +-4 so that both Huber branches and saturated sigmoids occur
    const output = randomValues(BATCH * OUTPUTS, 8, -4, 4)
    const targets = targetsFor(config)
    const out = await runLoss(config, metric, output, targets)
    const output64 = Float64Array.from(output)
    const loss = () => referenceLoss(config, output64, targets, BATCH)
    expect(out.loss[0]).toBeCloseTo(loss(), 5)
    expectGradientClose(out.gradient, numericGradient(output64, loss), `${config.name} gradient`)
  })

  it('stays finite for extreme logits (cross-entropies on logits are stable)', async () => {
    const output = Float32Array.from({length: BATCH * OUTPUTS}, (_, i) => (i % 2 ? 300 : -300))
    for (const config of [{name: 'softmaxCrossEntropy'}, {name: 'binaryCrossEntropy'}] as LossConfig[]) {
      const out = await runLoss(config, 'accuracy', output, targetsFor(config))
      expect(Number.isFinite(out.loss[0])).toBe(true)
      expect(out.gradient.every(Number.isFinite)).toBe(true)
    }
  })
})

describe('metrics', () => {
  it('accuracy counts arg-max hits for labels and sign agreement for binary targets', async () => {
    const logits = Float32Array.from([3, 1, 0, /**/ 0, 2, 1, /**/ 0, 0, 5, /**/ 9, 1, 0])
    const labels = Uint8Array.from([0, 2, 2, 1])
    const ce = await runLoss({name: 'softmaxCrossEntropy'}, 'accuracy', logits, labels)
    expect(ce.metric[0]).toBe(2)
    const binary = Float32Array.from([1, 0, 0, /**/ 1, 1, 1, /**/ 0, 0, 1, /**/ 0.9, 0.2, 0.6])
    const bce = await runLoss(
      {name: 'binaryCrossEntropy'},
      'accuracy',
      logits.map((v) => v - 0.5),
      binary,
    )
    // logit - 0.5 > 0 where the logit is >= 1; matches the target's side of 0.5 in 8 of 12 outputs
    expect(bce.metric[0]).toBe(8)
  })

  it('mae and rmse are sums of absolute and squared errors, finished by the rule', async () => {
    const output = randomValues(BATCH * OUTPUTS, 1)
    const targets = randomValues(BATCH * OUTPUTS, 2)
    const mae = await runLoss({name: 'mse'}, 'mae', output, targets)
    const rmse = await runLoss({name: 'mse'}, 'rmse', output, targets)
    let abs = 0
    let sq = 0
    output.forEach((o, i) => {
      abs += Math.abs(o - targets[i])
      sq += (o - targets[i]) ** 2
    })
    expect(mae.metric[0]).toBeCloseTo(abs, 5)
    expect(rmse.metric[0]).toBeCloseTo(sq, 5)
    expect(metricRule('rmse', {name: 'mse'}, OUTPUTS).finish(4)).toBe(2)
  })

  it('rejects metrics that do not fit the loss, and bad loss options', () => {
    expect(() => metricRule('mae', {name: 'softmaxCrossEntropy'}, 3)).toThrow(UserError)
    expect(() => metricRule('accuracy', {name: 'mse'}, 3)).toThrow(/classification loss/)
    expect(() => lossRule({name: 'softmaxCrossEntropy', labelSmoothing: 1})).toThrow(/labelSmoothing/)
    expect(() => lossRule({name: 'huber', delta: 0})).toThrow(/delta/)
    expect(() => lossRule({name: 'hinge'} as unknown as LossConfig)).toThrow(/unknown loss "hinge"/)
  })
})

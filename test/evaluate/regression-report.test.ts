import {describe, expect, it} from 'vitest'

import {RegressionAccumulator} from '../../src/core/evaluate/regression-report.js'

describe('RegressionAccumulator', () => {
  // targets 1, 2, 3, 4 (mean 2.5, total sum of squares 5); predictions off by 0, -1, +1, +2
  const targets = [1, 2, 3, 4]
  const predictions = Float32Array.from([1, 1, 4, 6])

  it('computes MSE, RMSE, MAE and R² by hand', () => {
    const acc = new RegressionAccumulator(1)
    acc.add(predictions, targets, 4)
    const report = acc.report()
    expect(report.mse).toBeCloseTo(6 / 4, 12)
    expect(report.rmse).toBeCloseTo(Math.sqrt(1.5), 12)
    expect(report.mae).toBeCloseTo(4 / 4, 12)
    expect(report.r2).toBeCloseTo(1 - 6 / 5, 12)
    expect(report.loss).toEqual({name: 'mse', value: report.mse})
  })

  it('gives the same numbers when the examples come in several batches', () => {
    const acc = new RegressionAccumulator(1)
    acc.add(predictions.subarray(0, 1), targets.slice(0, 1), 1)
    acc.add(predictions.subarray(1), targets.slice(1), 3)
    const report = acc.report()
    expect(report.r2).toBeCloseTo(-0.2, 12)
    expect(report.mse).toBeCloseTo(1.5, 12)
  })

  it("reports the run's own loss: huber with its delta", () => {
    const acc = new RegressionAccumulator(1, {name: 'huber', delta: 1})
    acc.add(predictions, targets, 4)
    // errors 0, 1, 1, 2: 0 + 0.5 + 0.5 + (2 - 0.5)
    expect(acc.report().loss).toEqual({name: 'huber', value: 2.5 / 4})
  })

  it('averages R² over outputs and scores constant targets as scikit-learn does', () => {
    const acc = new RegressionAccumulator(2)
    // output 0: targets 1, 3 predicted exactly (R² 1); output 1: constant target 5, predicted 5 and 6 (R² 0)
    acc.add(Float32Array.from([1, 5, 3, 6]), [1, 5, 3, 5], 2)
    const report = acc.report()
    expect(report.r2).toBeCloseTo(0.5, 12)
    expect(report.mae).toBeCloseTo(1 / 4, 12)
  })
})

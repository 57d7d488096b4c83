import {describe, expect, it} from 'vitest'

import type {ClassificationReport} from '../../src/core/evaluate/classification-report.js'
import {checkGates, checkGatesApply, gateFailureReason} from '../../src/core/evaluate/gates.js'
import type {RegressionReport} from '../../src/core/evaluate/regression-report.js'
import {UserError} from '../../src/core/errors.js'

const classification = {
  task: 'classification',
  accuracy: 0.9,
  loss: 0.3,
  topK: {k: 5, accuracy: 0.99},
  macro: {precision: 0.9, recall: 0.9, f1: 0.88},
} as ClassificationReport
const regression = {
  task: 'regression',
  mse: 4,
  rmse: 2,
  mae: 1.5,
  r2: 0.8,
  loss: {name: 'mse', value: 4},
} as RegressionReport

describe('gates', () => {
  it('pass at the threshold and fail beyond it, with a one-line reason naming each missed gate', () => {
    const passed = checkGates(classification, {'min-accuracy': 0.9, 'max-loss': 0.3})
    expect(passed.every((g) => g.passed)).toBe(true)
    expect(gateFailureReason(passed)).toBeUndefined()

    const failed = checkGates(classification, {'min-accuracy': 0.95, 'max-loss': 0.25, 'min-macro-f1': 0.8})
    expect(failed.map((g) => g.passed)).toEqual([false, false, true])
    expect(gateFailureReason(failed)).toBe('accuracy 0.9000 < 0.95 (--min-accuracy); loss 0.3000 > 0.25 (--max-loss)')
  })

  it('check regression metrics, including the loss', () => {
    const results = checkGates(regression, {'max-rmse': 2, 'min-r2': 0.9, 'max-loss': 5})
    expect(results.map((g) => [g.flag, g.passed])).toEqual([
      ['max-rmse', true],
      ['min-r2', false],
      ['max-loss', true],
    ])
  })

  it('fail on a NaN metric', () => {
    expect(checkGates({...classification, loss: Number.NaN}, {'max-loss': 10})[0].passed).toBe(false)
  })

  it('reject gates of the other task and accuracies given as percentages, as usage errors', () => {
    expect(() => checkGatesApply('regression', {'min-accuracy': 0.9})).toThrow(
      /--min-accuracy applies to classification models/,
    )
    expect(() => checkGatesApply('classification', {'min-r2': 0.9})).toThrow(/--min-r2 applies to regression models/)
    expect(() => checkGatesApply('classification', {'min-accuracy': 90})).toThrow(/fraction in \[0, 1\]/)
    const error = (() => {
      try {
        checkGatesApply('classification', {'max-rmse': 1})
      } catch (caught) {
        return caught
      }
    })()
    expect(error).toBeInstanceOf(UserError)
    expect((error as UserError).exitCode).toBe(2)
    expect(() => checkGatesApply('classification', {'min-accuracy': 0.5, 'max-loss': 2})).not.toThrow()
  })
})

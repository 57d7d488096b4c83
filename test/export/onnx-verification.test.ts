import {describe, expect, it} from 'vitest'

import {compareWithReference, type VerificationSettings} from '../../src/core/export/onnx-verification.js'
import type {VerificationSample} from '../../src/core/export/verification-sample.js'

const sample: VerificationSample = {
  inputs: new Uint8Array(3),
  targets: Uint8Array.from([0, 1, 1]),
  count: 3,
  split: 'test',
}
const reference = Float32Array.from([2, 1, 0.5, 0.6, -1, 3])
const settings: VerificationSettings = {tolerance: 1e-5, task: 'classification', outputs: 2, probabilities: 'none'}

describe('compareWithReference', () => {
  it('passes identical outputs and reports the sample accuracy', () => {
    const report = compareWithReference({logits: reference.slice()}, reference, sample, settings)
    expect(report).toEqual({
      examples: 3,
      split: 'test',
      maxAbsDiff: 0,
      tolerance: 1e-5,
      argmaxAgreement: {agree: 3, total: 3},
      sampleMetric: {name: 'accuracy', file: 1, reference: 1},
      passed: true,
    })
  })

  it('fails when one example changes class, even within the tolerance', () => {
    const logits = Float32Array.from([2, 1, 0.56, 0.55, -1, 3])
    const report = compareWithReference({logits}, reference, sample, {...settings, tolerance: 0.1})
    expect(report.maxAbsDiff).toBeLessThan(0.1)
    expect(report.argmaxAgreement).toEqual({agree: 2, total: 3})
    expect(report.sampleMetric).toEqual({name: 'accuracy', file: 2 / 3, reference: 1})
    expect(report.passed).toBe(false)
  })

  it('fails on a difference above the tolerance, on NaN, and on probabilities that are not the softmax of the logits', () => {
    expect(
      compareWithReference({logits: Float32Array.from([2, 1, 0.5, 0.6, -1, 3.001])}, reference, sample, settings)
        .passed,
    ).toBe(false)
    const nan = compareWithReference(
      {logits: Float32Array.from([2, 1, 0.5, 0.6, -1, NaN])},
      reference,
      sample,
      settings,
    )
    expect([nan.maxAbsDiff, nan.passed]).toEqual([Infinity, false])
    const uniform = new Float32Array(6).fill(0.5)
    expect(
      compareWithReference({logits: reference, probabilities: uniform}, reference, sample, {
        ...settings,
        probabilities: 'softmax',
      }).passed,
    ).toBe(false)
    const softmax = Float32Array.from(
      [0, 1, 2].flatMap((n) => {
        const [a, b] = [Math.exp(reference[2 * n]), Math.exp(reference[2 * n + 1])]
        return [a / (a + b), b / (a + b)]
      }),
    )
    expect(
      compareWithReference({logits: reference, probabilities: softmax}, reference, sample, {
        ...settings,
        probabilities: 'softmax',
      }).passed,
    ).toBe(true)
  })

  it('judges a one-output binary classifier by the sign of its logit and a regression model by the tolerance alone', () => {
    const binary = compareWithReference(
      {logits: Float32Array.from([0.1, -0.2, 0.3])},
      Float32Array.from([0.1, 0.2, 0.3]),
      sample,
      {...settings, outputs: 1, tolerance: 1},
    )
    expect(binary.argmaxAgreement).toEqual({agree: 2, total: 3})
    expect(binary.passed).toBe(false)
    const targets = Float32Array.from([1, 2, 3])
    const regression = compareWithReference(
      {logits: Float32Array.from([1.5, 2, 3])},
      Float32Array.from([1, 2, 3]),
      {...sample, targets},
      {...settings, task: 'regression', outputs: 1, tolerance: 1},
    )
    expect(regression).toMatchObject({
      passed: true,
      maxAbsDiff: 0.5,
      sampleMetric: {name: 'mae', file: 0.5 / 3, reference: 0},
    })
    expect(regression.argmaxAgreement).toBeUndefined()
  })
})

import {describe, expect, it} from 'vitest'

import {withTableScaling} from '../../src/core/train/table-scaling.js'
import type {ModelSpec} from '../../src/core/model/spec.js'

const spec: ModelSpec = {inputShape: [2], layers: [{type: 'dense', units: 1}]}
// Column 0 has an outlier; column 1 is a rare one-hot input whose middle half is 0.
const fit = {
  inputs: Float32Array.from([1, 0, 2, 0, 3, 1, 4, 0, 100, 0]),
  targets: Float32Array.from([1, 2, 3, 4, 5]),
  count: 5,
}

describe('withTableScaling', () => {
  it('standard: mean and population std of each feature', () => {
    const {normalize} = withTableScaling(spec, fit, {name: 'mse'})
    expect(normalize!.mean).toEqual([22, 0.2])
    expect(normalize!.std[0]).toBeCloseTo(Math.sqrt((21 ** 2 + 20 ** 2 + 19 ** 2 + 18 ** 2 + 78 ** 2) / 5), 10)
  })

  it("robust: median and interquartile range (numpy's interpolation), the std when that range is 0", () => {
    const {normalize, denormalize} = withTableScaling(spec, fit, {name: 'mse'}, 'robust')
    expect(normalize!.mean).toEqual([3, 0])
    expect(normalize!.std[0]).toBe(2)
    expect(normalize!.std[1]).toBeCloseTo(0.4, 12)
    // The target keeps its mean and std.
    expect(denormalize).toEqual({mean: 3, std: Math.sqrt(2)})
  })

  it.each(['standard', 'robust'] as const)(
    '%s: leaves the index column a categoryEmbedding reads unscaled',
    (scaling) => {
      const embedded: ModelSpec = {
        inputShape: [2],
        layers: [
          {type: 'categoryEmbedding', column: 0, categories: 101, dim: 4},
          {type: 'dense', units: 1},
        ],
      }
      const {normalize} = withTableScaling(embedded, fit, {name: 'mse'}, scaling)
      expect([normalize!.mean[0], normalize!.std[0]]).toEqual([0, 1])
      expect(normalize!.mean[1]).toBe(withTableScaling(spec, fit, {name: 'mse'}, scaling).normalize!.mean[1])
    },
  )
})

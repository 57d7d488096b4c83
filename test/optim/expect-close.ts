import {expect} from 'vitest'

/** Parameters are stored as float32, so hand-computed float64 values match to about 1e-7 relative. */
export function expectClose(actual: ArrayLike<number>, expected: number[], tolerance = 1e-6): void {
  expect(actual.length).toBe(expected.length)
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i] - expected[i])
    if (error > tolerance * Math.max(1, Math.abs(expected[i]))) {
      expect.fail(`element ${i}: got ${actual[i]}, expected ${expected[i]} (error ${error})`)
    }
  }
}

export const f32 = (values: number[]): Float32Array => Float32Array.from(values)

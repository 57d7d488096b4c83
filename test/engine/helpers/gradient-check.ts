import {expect} from 'vitest'
import {Random} from '../../../src/core/model/random.js'
import {OrtSession, tensor, type TensorData} from '../../../src/core/engine/ort-session.js'

/**
 * Tolerance of every gradient check: the worst absolute difference between the graph's float32 gradient
 * and the float64 central difference must stay below GRADIENT_TOLERANCE times the largest |gradient| of
 * that tensor (floored at 1e-3, so that all-but-zero gradients are compared absolutely).
 */
export const GRADIENT_TOLERANCE = 1e-4

/** Central-difference step for the float64 references: truncation ~h^2, rounding ~1e-16/h, both far below 1e-4. */
const STEP = 1e-5

/** Uniform values in [low, high) that float32 represents exactly, so graph and reference see the same numbers. */
export function randomValues(length: number, seed: number, low = -1, high = 1): Float32Array {
  const random = new Random(seed)
  return Float32Array.from({length}, () => low + (high - low) * random.next())
}

/** d f / d values by central differences, perturbing `values` in place and restoring it. */
export function numericGradient(values: Float64Array, f: () => number): Float64Array {
  const gradient = new Float64Array(values.length)
  for (let i = 0; i < values.length; i++) {
    const saved = values[i]
    values[i] = saved + STEP
    const up = f()
    values[i] = saved - STEP
    const down = f()
    values[i] = saved
    gradient[i] = (up - down) / (2 * STEP)
  }
  return gradient
}

/** Relative error as GRADIENT_TOLERANCE defines it. */
export function gradientError(analytic: ArrayLike<number>, numeric: ArrayLike<number>): number {
  expect(analytic.length).toBe(numeric.length)
  let worst = 0
  let scale = 1e-3
  for (let i = 0; i < numeric.length; i++) {
    worst = Math.max(worst, Math.abs(analytic[i] - numeric[i]))
    scale = Math.max(scale, Math.abs(numeric[i]))
  }
  return worst / scale
}

export function expectGradientClose(analytic: ArrayLike<number>, numeric: ArrayLike<number>, what: string): void {
  const error = gradientError(analytic, numeric)
  expect(error, `${what}: relative error ${error.toExponential(2)}`).toBeLessThan(GRADIENT_TOLERANCE)
}

/** Runs ONNX bytes once on one thread with the given feeds. */
export async function runOnce(
  bytes: Uint8Array,
  feeds: Record<string, {data: TensorData; dims: number[]}>,
): Promise<Record<string, Float32Array>> {
  const session = await OrtSession.create(bytes, 1)
  try {
    const tensors = Object.fromEntries(Object.entries(feeds).map(([name, f]) => [name, tensor(f.data, f.dims)]))
    return await session.run(tensors)
  } finally {
    await session.release()
  }
}

import type {BatchInputs, BatchTargets, LossConfig} from '../../../src/core/training/index.js'
import {Random} from '../../../src/core/model/random.js'
import {gradientError} from '../../engine/helpers/gradient-check.js'
import {sizeOf} from '../../../src/core/model/parameters.js'
import type {ResolvedModel} from '../../../src/core/model/resolve-model.js'

/**
 * Float32 tolerance between the engines: the worst absolute difference over a tensor, divided by its
 * largest |value| (floored at 1e-3 so that near-zero tensors compare absolutely), must stay below this.
 * Both compute in float32 with different summation orders and formulations (autodiff against hand-written
 * rules, NHWC against NCHW), which puts typical differences at 1e-7..1e-6.
 */
export const TOLERANCE = 1e-5

/** The engine gradient checks' measure: worst |difference| over the largest |expected| (floored at 1e-3). */
export const relativeError = gradientError

/** A seeded batch of n examples the model and loss accept: uint8 or float inputs, labels or float targets. */
export function batchFor(
  model: ResolvedModel,
  loss: LossConfig,
  n: number,
  seed: number,
): {x: BatchInputs; y: BatchTargets} {
  const random = new Random(seed)
  const size = n * sizeOf(model.inputShape)
  const x =
    model.inputType === 'uint8'
      ? Uint8Array.from({length: size}, () => Math.floor(random.next() * 256))
      : Float32Array.from({length: size}, () => 2 * random.next() - 1)
  if (loss.name === 'softmaxCrossEntropy') return {x, y: Uint8Array.from({length: n}, (_, i) => i % model.outputs)}
  const y = Float32Array.from({length: n * model.outputs}, () =>
    loss.name === 'binaryCrossEntropy' ? Math.round(random.next()) : 2 * random.next() - 1,
  )
  return {x, y}
}

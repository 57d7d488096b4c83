import type {BatchInputs} from '../training/index.js'
import type {ResolvedModel} from '../model/resolve-model.js'
import {chwToHwc} from './activation-layout.js'

/**
 * `count` examples as the TF.js forward pass takes them: float32, NHWC (or [count, features]), with the
 * uint8 scaling and the spec's normalisation applied exactly as engine/input-normalisation.ts folds them:
 * x * (scale / std) + (-mean / std), per channel or feature.
 */
export function inputValues(model: ResolvedModel, x: BatchInputs, count: number): Float32Array {
  const scale = model.inputType === 'uint8' ? 1 / 255 : 1
  const [channels] = model.inputShape
  const perChannel = x.length / (count * channels)
  const normalize = model.spec.normalize ?? {mean: [0], std: [1]}
  const pick = (values: number[], c: number) => values[values.length === 1 ? 0 : c]
  const values = new Float32Array(x.length)
  for (let c = 0; c < channels; c++) {
    const multiplier = Math.fround(scale / pick(normalize.std, c))
    const offset = Math.fround(-pick(normalize.mean, c) / pick(normalize.std, c))
    for (let n = 0; n < count; n++) {
      const from = (n * channels + c) * perChannel
      for (let i = from; i < from + perChannel; i++) values[i] = Math.fround(x[i] * multiplier) + offset
    }
  }
  return model.inputShape.length === 3 ? chwToHwc(values, count, model.inputShape) : values
}

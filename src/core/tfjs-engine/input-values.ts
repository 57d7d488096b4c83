import type {ResolvedModel} from '../model/resolve-model.js'
import {foldStandardization, inputStandardization} from '../model/standardization.js'
import type {BatchInputs} from '../training/index.js'
import {chwToHwc} from './activation-layout.js'

/**
 * `count` examples as the TF.js forward pass takes them: float32, NHWC (or [count, features]), with the
 * uint8 scaling and the spec's normalize applied in float32 exactly as the ONNX Runtime engine's graph
 * applies them: x * multiplier[c] + offset[c], per channel or feature.
 */
export function inputValues(model: ResolvedModel, x: BatchInputs, count: number): Float32Array | Int32Array {
  // token ids go to the embedding's gather as they are
  if (x instanceof Int32Array) return x
  const [channels] = model.inputShape
  const perChannel = x.length / (count * channels)
  const {multiplier, offset} = foldStandardization(
    inputStandardization(model.inputType, model.spec.normalize),
    channels,
  )
  const values = new Float32Array(x.length)
  for (let c = 0; c < channels; c++) {
    const [m, o] = [Math.fround(multiplier[c]), Math.fround(offset[c])]
    for (let n = 0; n < count; n++) {
      const from = (n * channels + c) * perChannel
      for (let i = from; i < from + perChannel; i++) values[i] = Math.fround(x[i] * m) + o
    }
  }
  return model.inputShape.length === 3 ? chwToHwc(values, count, model.inputShape) : values
}

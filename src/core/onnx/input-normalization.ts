import type {InputType, ModelSpec} from '../model/spec.js'
import {foldStandardization, inputStandardization, type Standardization} from '../model/standardization.js'

/**
 * The metadata_props `input_normalization` of an exported file: what its `input` expects. A client turns
 * a raw example x (uint8 pixels or float32 features, as the dataset stores them) into the input with
 * (x * scale - mean[c]) / std[c], c the channel (images) or the feature (tables), one mean/std value
 * meaning the same for all, and sends the result as inputType.
 */
export interface InputNormalization extends Standardization {
  inputType: InputType
}

/**
 * inGraph (export --normalize): the graph scales and standardizes itself, so the client sends the raw
 * values with the dataset's element type. Otherwise the graph takes float32 values that the client has
 * normalized as the model was trained.
 */
export function describeInputNormalization(spec: ModelSpec, inGraph: boolean): InputNormalization {
  if (inGraph) return {inputType: spec.inputType ?? 'float32', scale: 1, mean: [0], std: [1]}
  return {inputType: 'float32', ...inputStandardization(spec.inputType ?? 'float32', spec.normalize)}
}

/** What a client does to raw examples of `exampleShape` before sending them: the input tensor's data. */
export function applyInputNormalization(
  raw: Uint8Array | Float32Array,
  exampleShape: number[],
  n: InputNormalization,
): Uint8Array | Float32Array {
  if (n.inputType === 'uint8') {
    if (!(raw instanceof Uint8Array)) throw new Error('a uint8 input needs uint8 examples')
    return raw
  }
  const out = new Float32Array(raw.length)
  standardizeInto(raw, out, n, exampleShape)
  return out
}

/**
 * Writes the standardized examples of `source` into `target`. Channels (or features) are dimension 0 of
 * `exampleShape`.
 */
export function standardizeInto(
  source: Uint8Array | Float32Array,
  target: Float32Array,
  n: Standardization,
  exampleShape: number[],
): void {
  const channels = exampleShape[0]
  const perChannel = exampleShape.slice(1).reduce((a, b) => a * b, 1)
  const {multiplier, offset} = foldStandardization(n, channels)
  for (let start = 0; start < source.length; start += perChannel) {
    const c = (start / perChannel) % channels
    const [m, o] = [multiplier[c], offset[c]]
    for (let i = start; i < start + perChannel; i++) target[i] = source[i] * m + o
  }
}

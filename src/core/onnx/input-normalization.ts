import type {InputType, ModelSpec} from '../model/spec.js'

/**
 * The metadata_props `input_normalization` of an exported file: what its `input` expects. A client turns
 * a raw example x (uint8 pixels or float32 features, as the dataset stores them) into the input with
 * (x * scale - mean[c]) / std[c], c the channel (images) or the feature (tables), one mean/std value
 * meaning the same for all, and sends the result as inputType.
 */
export interface InputNormalization extends Standardization {
  inputType: InputType
}

/** (x * scale - mean[c]) / std[c], one mean/std value meaning the same for every channel or feature. */
export interface Standardization {
  scale: number
  mean: number[]
  std: number[]
}

/**
 * inGraph (export --normalize): the graph scales and standardises itself, so the client sends the raw
 * values with the dataset's element type. Otherwise the graph takes float32 values that the client has
 * normalised as the model was trained.
 */
export function describeInputNormalization(spec: ModelSpec, inGraph: boolean): InputNormalization {
  if (inGraph) return {inputType: spec.inputType ?? 'float32', scale: 1, mean: [0], std: [1]}
  return {
    inputType: 'float32',
    scale: spec.inputType === 'uint8' ? 1 / 255 : 1,
    mean: spec.normalize?.mean ?? [0],
    std: spec.normalize?.std ?? [1],
  }
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
  standardiseInto(raw, out, n, exampleShape)
  return out
}

/**
 * Writes the standardised examples of `source` into `target`, with the division folded into
 * x * multiplier[c] + offset[c] so the inner loop is one multiply-add per value. Channels (or features)
 * are dimension 0 of `exampleShape`.
 */
export function standardiseInto(
  source: Uint8Array | Float32Array,
  target: Float32Array,
  n: Standardization,
  exampleShape: number[],
): void {
  const channels = exampleShape[0]
  const perChannel = exampleShape.slice(1).reduce((a, b) => a * b, 1)
  const pick = (values: number[], c: number) => values[values.length === 1 ? 0 : c]
  const multiplier = Array.from({length: channels}, (_, c) => n.scale / pick(n.std, c))
  const offset = Array.from({length: channels}, (_, c) => -pick(n.mean, c) / pick(n.std, c))
  for (let start = 0; start < source.length; start += perChannel) {
    const c = (start / perChannel) % channels
    const [m, o] = [multiplier[c], offset[c]]
    for (let i = start; i < start + perChannel; i++) target[i] = source[i] * m + o
  }
}

import type {InputType, ModelSpec} from '../model/spec.js'

/**
 * The metadata_props `input_normalization` of an exported file: what its `input` expects. A client turns
 * a raw example x (uint8 pixels or float32 features, as the dataset stores them) into the input with
 * (x * scale - mean[c]) / std[c], c the channel (images) or the feature (tables), one mean/std value
 * meaning the same for all, and sends the result as inputType.
 */
export interface InputNormalization {
  inputType: InputType
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
  return {inputType: 'float32', scale: spec.inputType === 'uint8' ? 1 / 255 : 1, mean: spec.normalize?.mean ?? [0], std: spec.normalize?.std ?? [1]}
}

/** What a client does to raw examples of `exampleShape` before sending them: the input tensor's data. */
export function applyInputNormalization(raw: Uint8Array | Float32Array, exampleShape: number[], n: InputNormalization): Uint8Array | Float32Array {
  if (n.inputType === 'uint8') {
    if (!(raw instanceof Uint8Array)) throw new Error('a uint8 input needs uint8 examples')
    return raw
  }
  const channels = exampleShape[0]
  const perChannel = exampleShape.slice(1).reduce((a, b) => a * b, 1)
  const pick = (values: number[], c: number) => values[values.length === 1 ? 0 : c]
  const out = new Float32Array(raw.length)
  for (let i = 0; i < raw.length; i++) {
    const c = Math.floor(i / perChannel) % channels
    out[i] = (raw[i] * n.scale - pick(n.mean, c)) / pick(n.std, c)
  }
  return out
}

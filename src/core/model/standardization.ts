import type {InputType, ModelSpec} from './spec.js'

/** (x * scale - mean[c]) / std[c], c the channel (images) or feature (tables); one mean/std value serves all. */
export interface Standardization {
  scale: number
  mean: number[]
  std: number[]
}

/** What a model does to its raw input before the first layer: uint8 values / 255, then the spec's normalize. */
export function inputStandardization(inputType: InputType, normalize: ModelSpec['normalize']): Standardization {
  return {scale: inputType === 'uint8' ? 1 / 255 : 1, mean: normalize?.mean ?? [0], std: normalize?.std ?? [1]}
}

/**
 * The standardization of `channels` channels folded into x * multiplier[c] + offset[c], so that applying
 * it is one multiply-add per value. The engines, the exported graph and clients all take their constants
 * from here; those that compute in float32 (both engines) round them to float32 first.
 */
export function foldStandardization(s: Standardization, channels: number): {multiplier: number[]; offset: number[]} {
  const pick = (values: number[], c: number) => values[values.length === 1 ? 0 : c]
  return {
    multiplier: Array.from({length: channels}, (_, c) => s.scale / pick(s.std, c)),
    offset: Array.from({length: channels}, (_, c) => -pick(s.mean, c) / pick(s.std, c)),
  }
}

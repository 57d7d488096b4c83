import {Errors, Flags} from '@oclif/core'

import type {InputScaling} from '../core/evaluate/evaluation-plan.js'

/**
 * How evaluate turns the stored values (0-255 pixels, CSV features) into a float32 model input:
 * (x * scale - mean[c]) / std[c], c the channel or feature. For models that do not say it themselves.
 */
export const inputScalingFlags = {
  'input-scale': Flags.custom<number>({
    parse: async (input) => parseScale(input),
  })({
    description:
      "Multiply the stored values by X before mean and std, e.g. 1/255 for pixels in [0, 1] [default: the model's input_normalization, else 1].",
    helpValue: 'X',
    helpGroup: 'INPUT SCALING',
  }),
  'input-mean': Flags.custom<number[]>({parse: async (input) => parseList(input, false)})({
    description:
      "Subtract these after scaling, one value for all channels or one per channel [default: the model's, else 0].",
    helpValue: 'M[,M...]',
    helpGroup: 'INPUT SCALING',
  }),
  'input-std': Flags.custom<number[]>({parse: async (input) => parseList(input, true)})({
    description:
      "Divide by these after subtracting the mean, one value or one per channel [default: the model's, else 1].",
    helpValue: 'S[,S...]',
    helpGroup: 'INPUT SCALING',
  }),
}

/** The flags given, as what evaluate overrides; undefined when none was. */
export function inputScalingFromFlags(flags: {
  'input-scale'?: number
  'input-mean'?: number[]
  'input-std'?: number[]
}): InputScaling | undefined {
  const scaling: InputScaling = {
    ...(flags['input-scale'] !== undefined && {scale: flags['input-scale']}),
    ...(flags['input-mean'] && {mean: flags['input-mean']}),
    ...(flags['input-std'] && {std: flags['input-std']}),
  }
  return Object.keys(scaling).length > 0 ? scaling : undefined
}

function parseList(input: string, positive: boolean): number[] {
  const values = input.split(',').map(parseValue)
  const valid = values.every((v) => v !== undefined && (!positive || v > 0))
  if (!valid)
    throw new Errors.CLIError(
      `Expected comma-separated ${positive ? 'positive numbers' : 'numbers'} (one value, or one per channel) but received: ${input}`,
    )
  return values as number[]
}

function parseScale(input: string): number {
  const value = parseValue(input)
  if (value === undefined || value === 0)
    throw new Errors.CLIError(`Expected a non-zero number or a fraction such as 1/255 but received: ${input}`)
  return value
}

/** A finite number, or a fraction a/b (1/255 says what 0.00392156862745098 means); undefined if neither. */
function parseValue(input: string): number | undefined {
  const numbers = input.split('/').map((part) => (part.trim() === '' ? Number.NaN : Number(part)))
  const value = numbers.length === 1 ? numbers[0] : numbers.length === 2 ? numbers[0] / numbers[1] : Number.NaN
  return Number.isFinite(value) ? value : undefined
}

import {Errors, Flags} from '@oclif/core'

/**
 * A flag holding any finite number (0.001, 1e-5, -2), where oclif's `Flags.integer` takes whole numbers only.
 * Its errors read like `Flags.integer`'s and exit 2, as every other bad flag value does.
 */
export const numberFlag = Flags.custom<number, {min?: number}>({
  async parse(input, _context, {min}) {
    const value = Number(input)
    if (input.trim() === '' || !Number.isFinite(value))
      throw new Errors.CLIError(`Expected a number but received: ${input}`)
    if (min !== undefined && value < min)
      throw new Errors.CLIError(`Expected a number greater than or equal to ${min} but received: ${input}`)
    return value
  },
})

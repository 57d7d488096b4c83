import type {Standardization} from '../model/standardization.js'

/**
 * The scaling a float32 input gets: the model's own (its input_normalization), each part the user gave
 * (--input-scale/--input-mean/--input-std) replacing the model's, as evaluate does.
 */
export function overrideScaling(
  own: Standardization | undefined,
  flags: Partial<Standardization> | undefined,
): Standardization | undefined {
  if (!flags) return own
  return {
    scale: flags.scale ?? own?.scale ?? 1,
    mean: flags.mean ?? own?.mean ?? [0],
    std: flags.std ?? own?.std ?? [1],
  }
}

/** Scales by 1 and standardizes by nothing: the values reach the model as they are. */
export function isIdentityScaling({scale, mean, std}: Standardization): boolean {
  return scale === 1 && mean.every((m) => m === 0) && std.every((s) => s === 1)
}

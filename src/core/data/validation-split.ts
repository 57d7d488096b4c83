import type {DataSplit} from './dataset.js'
import {seededPermutation} from './seeded-shuffle.js'
import {subsetSplit} from './select-examples.js'
import {UserError} from '../errors.js'

/** The share of the training set held out for validation when a run does not say (--val-split). */
export const DEFAULT_VALIDATION_FRACTION = 0.1

/** The validation hold-out does not move with --seed, so runs with different seeds are judged on the same examples. */
const VALIDATION_SPLIT_SEED = 1

/**
 * Splits the training set into the examples the model is fitted on and the validation hold-out: a fixed
 * random share, or with `latest` (a training split in time order) its last rows. Train and
 * `mlctl evaluate --split val` both call it, so a run is scored on exactly the examples it was validated on.
 */
export function holdOut(train: DataSplit, fraction: number, latest = false): {fit: DataSplit; validation?: DataSplit} {
  const held = Math.round(train.count * fraction)
  if (held === 0) return {fit: train}
  if (held >= train.count)
    throw new UserError(`--val-split ${fraction} leaves no training examples; use a smaller fraction`)
  if (latest) {
    // A time-ordered training split (--split-by): validate on its latest rows, as the test split is.
    const range = (from: number, to: number) => Uint32Array.from({length: to - from}, (_, i) => from + i)
    return {
      fit: subsetSplit(train, range(0, train.count - held)),
      validation: subsetSplit(train, range(train.count - held, train.count)),
    }
  }
  const order = seededPermutation(train.count, VALIDATION_SPLIT_SEED)
  // Sorted, so each part keeps the dataset's order; the training loop shuffles per epoch anyway.
  const part = (indices: Uint32Array) => subsetSplit(train, Uint32Array.from(indices).sort())
  return {fit: part(order.subarray(held)), validation: part(order.subarray(0, held))}
}

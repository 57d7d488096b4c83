import type {DataSplit} from './dataset.js'

/** Copies the examples at `indices` into one contiguous batch (inputs and targets) for the engine. */
export function gatherBatch(
  split: DataSplit,
  indices: ArrayLike<number>,
): {inputs: Uint8Array | Float32Array; targets: Uint8Array | Float32Array} {
  const inputSize = split.inputs.length / split.count
  const targetSize = split.targets.length / split.count
  const n = indices.length
  const inputs = new (split.inputs.constructor as Uint8ArrayConstructor | Float32ArrayConstructor)(n * inputSize)
  const targets = new (split.targets.constructor as Uint8ArrayConstructor | Float32ArrayConstructor)(n * targetSize)
  for (let k = 0; k < n; k++) {
    const i = indices[k]
    inputs.set(split.inputs.subarray(i * inputSize, (i + 1) * inputSize), k * inputSize)
    targets.set(split.targets.subarray(i * targetSize, (i + 1) * targetSize), k * targetSize)
  }
  return {inputs, targets}
}

/** The examples at `indices` as a split of their own (e.g. a validation hold-out). */
export function subsetSplit(split: DataSplit, indices: ArrayLike<number>): DataSplit {
  return {...gatherBatch(split, indices), count: indices.length}
}

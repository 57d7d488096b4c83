import {UserError} from '../errors.js'
import {sizeOf} from '../model/parameters.js'
import type {ResolvedModel} from '../model/resolve-model.js'
import type {TargetKind} from './loss-config.js'

/** Inputs: n examples of the model's input shape, uint8, float32 or int32 (token ids) as the spec says. */
export type BatchInputs = Uint8Array | Float32Array | Int32Array

/** Targets: uint8 class labels (one per example), or float32 values (outputs per example). */
export type BatchTargets = Uint8Array | Float32Array

/*
 * Every engine checks its callers' data with these functions before any tensor exists, so that all
 * engines reject the same data with the same messages.
 */

/** Throws unless the engine is still usable and n examples in batches of batchSize are positive integers. */
export function checkUsable(engine: string, released: boolean, n: number, batchSize = 1): void {
  if (released) throw new Error(`${engine} used after release()`)
  if (!Number.isInteger(n) || n < 1) throw new UserError(`the number of examples must be a positive integer, got ${n}`)
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new UserError(`batch size must be a positive integer, got ${batchSize}`)
}

/** Examples [from, from + count) of x (a view, no copy), after checking their element type and number. */
export function inputBatch(model: ResolvedModel, x: BatchInputs, from: number, count: number): BatchInputs {
  const expected = {uint8: Uint8Array, float32: Float32Array, int32: Int32Array}[model.inputType]
  if (!(x instanceof expected)) {
    throw new UserError(
      `the model takes ${model.inputType} inputs but got a ${x.constructor.name}; set the spec's inputType to match the data`,
    )
  }
  const size = sizeOf(model.inputShape)
  if (x.length < (from + count) * size) {
    throw new UserError(
      `inputs hold ${Math.floor(x.length / size)} examples of [${model.inputShape}], fewer than the ${from + count} asked for`,
    )
  }
  const batch = x.subarray(from * size, (from + count) * size)
  if (batch instanceof Int32Array) checkTokenIds(model, batch)
  return batch
}

/** An id outside the embedding table would make the lookup fail deep inside an engine; name it here. */
function checkTokenIds(model: ResolvedModel, ids: Int32Array): void {
  const [vocab] = model.parameters[0].shape
  for (const id of ids) {
    if (id < 0 || id >= vocab)
      throw new UserError(
        `token id ${id} is outside the embedding's vocabulary [0, ${vocab}); the model's vocab is too small for the tokenizer`,
      )
  }
}

/** Targets of examples [from, from + count) of y (a view, no copy); labels are checked against the class count. */
export function targetBatch(
  kind: TargetKind,
  outputs: number,
  y: BatchTargets,
  from: number,
  count: number,
): BatchTargets {
  if (kind === 'labels') {
    if (!(y instanceof Uint8Array))
      throw new UserError('softmax cross-entropy needs integer class labels (a Uint8Array), got float targets')
    if (y.length < from + count)
      throw new UserError(`targets hold ${y.length} labels, fewer than the ${from + count} asked for`)
    const labels = y.subarray(from, from + count)
    for (const label of labels) {
      if (label >= outputs)
        throw new UserError(`label ${label} is out of range for a model with ${outputs} outputs; check numClasses`)
    }
    return labels
  }
  if (y.length < (from + count) * outputs) {
    throw new UserError(
      `targets hold ${Math.floor(y.length / outputs)} rows of ${outputs} values, fewer than the ${from + count} asked for`,
    )
  }
  return y.subarray(from * outputs, (from + count) * outputs)
}

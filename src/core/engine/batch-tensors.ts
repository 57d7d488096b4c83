import {UserError} from '../errors.js'
import {sizeOf} from '../model/parameters.js'
import type {ResolvedModel} from '../model/resolve-model.js'
import type {TargetKind} from './losses/index.js'
import {tensor, type Tensor} from './ort-session.js'

/** Inputs: n examples of the model's input shape, uint8 or float32 as the spec says. */
export type BatchInputs = Uint8Array | Float32Array

/** Targets: uint8 class labels (one per example), or float32 values (outputs per example). */
export type BatchTargets = Uint8Array | Float32Array

/** Examples [from, from + count) of x as an `input` tensor (a view, no copy). */
export function inputTensor(model: ResolvedModel, x: BatchInputs, from: number, count: number): Tensor {
  const expected = model.inputType === 'uint8' ? Uint8Array : Float32Array
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
  return tensor(x.subarray(from * size, (from + count) * size), [count, ...model.inputShape])
}

/** Examples [from, from + count) of y as a `target` tensor; labels are checked against the class count. */
export function targetTensor(kind: TargetKind, outputs: number, y: BatchTargets, from: number, count: number): Tensor {
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
    return tensor(labels, [count])
  }
  if (y.length < (from + count) * outputs) {
    throw new UserError(
      `targets hold ${Math.floor(y.length / outputs)} rows of ${outputs} values, fewer than the ${from + count} asked for`,
    )
  }
  const values = y.subarray(from * outputs, (from + count) * outputs)
  // 0/1 labels for binary cross-entropy: a handful of values per example, not worth a graph variant
  return tensor(values instanceof Float32Array ? values : Float32Array.from(values), [count, outputs])
}

import type {ResolvedModel} from '../model/resolve-model.js'
import {inputBatch, targetBatch, type BatchInputs, type BatchTargets} from '../training/batch-checks.js'
import type {TargetKind} from '../training/loss-config.js'
import {tensor, type Tensor} from './ort-session.js'

/** Examples [from, from + count) of x as an `input` tensor (a view, no copy). */
export function inputTensor(model: ResolvedModel, x: BatchInputs, from: number, count: number): Tensor {
  return tensor(inputBatch(model, x, from, count), [count, ...model.inputShape])
}

/** Examples [from, from + count) of y as a `target` tensor; labels are checked against the class count. */
export function targetTensor(kind: TargetKind, outputs: number, y: BatchTargets, from: number, count: number): Tensor {
  const targets = targetBatch(kind, outputs, y, from, count)
  if (kind === 'labels') return tensor(targets, [count])
  // 0/1 labels for binary cross-entropy: a handful of values per example, not worth a graph variant
  return tensor(targets instanceof Float32Array ? targets : Float32Array.from(targets), [count, outputs])
}

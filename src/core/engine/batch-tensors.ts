import type {ResolvedModel} from '../model/resolve-model.js'
import {inputBatch, targetBatch, type BatchInputs, type BatchTargets} from '../training/batch-checks.js'
import type {TargetKind} from '../training/loss-config.js'
import {ATTENTION_MASK_NAME, INPUT_IDS_NAME, INPUT_NAME} from './forward-pass.js'
import {tensor, type Tensor} from './ort-session.js'

/** Examples [from, from + count) of x as an `input` tensor (a view, no copy). */
export function inputTensor(model: ResolvedModel, x: BatchInputs, from: number, count: number): Tensor {
  return tensor(inputBatch(model, x, from, count), [count, ...model.inputShape])
}

/**
 * Feeds of the inference model (buildInferenceModel) for examples [from, from + count): `input`, or for a
 * token model `input_ids` and `attention_mask` (int64, the mask 1 where the id is not padId), as a client
 * of the exported model sends them.
 */
export function inferenceFeeds(
  model: ResolvedModel,
  x: BatchInputs,
  from: number,
  count: number,
): Record<string, Tensor> {
  const batch = inputBatch(model, x, from, count)
  if (!(batch instanceof Int32Array)) return {[INPUT_NAME]: tensor(batch, [count, ...model.inputShape])}
  return tokenFeeds(batch, [count, ...model.inputShape], model.spec.padId ?? 0)
}

/** `input_ids` and `attention_mask` (1 where the id is not padId) of padded ids [batch, sequence], as int64. */
export function tokenFeeds(batch: Int32Array, dims: number[], padId: number): Record<string, Tensor> {
  const ids = new BigInt64Array(batch.length)
  const mask = new BigInt64Array(batch.length)
  for (let i = 0; i < batch.length; i++) {
    ids[i] = BigInt(batch[i])
    mask[i] = batch[i] === padId ? 0n : 1n
  }
  return {[INPUT_IDS_NAME]: tensor(ids, dims), [ATTENTION_MASK_NAME]: tensor(mask, dims)}
}

/** Examples [from, from + count) of y as a `target` tensor; labels are checked against the class count. */
export function targetTensor(kind: TargetKind, outputs: number, y: BatchTargets, from: number, count: number): Tensor {
  const targets = targetBatch(kind, outputs, y, from, count)
  if (kind === 'labels') return tensor(targets, [count])
  // 0/1 labels for binary cross-entropy: a handful of values per example, not worth a graph variant
  return tensor(targets instanceof Float32Array ? targets : Float32Array.from(targets), [count, outputs])
}

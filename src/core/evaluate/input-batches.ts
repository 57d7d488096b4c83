import {tensor, type Tensor} from '../engine/ort-session.js'
import {standardizeInto} from '../onnx/input-normalization.js'
import type {EvaluationPlan} from './evaluation-plan.js'

/**
 * Cuts a split's inputs into the model's input tensors. When the data already has the model's element
 * type and needs no normalization, a batch is a view (no copy); otherwise it is converted into one
 * reused buffer. A model with a fixed batch size gets its last, short batch padded with zeros.
 */
export class InputBatches {
  /** Examples per batch: the model's own when it fixes its batch size, else the requested size. */
  readonly rows: number
  private readonly perExample: number
  private readonly buffer: Uint8Array | Float32Array | undefined

  constructor(
    private readonly inputs: Uint8Array | Float32Array | Int32Array,
    private readonly exampleShape: number[],
    private readonly plan: EvaluationPlan['input'],
    batchSize: number,
  ) {
    this.rows = plan.fixedBatch ?? batchSize
    this.perExample = exampleShape.reduce((a, b) => a * b, 1)
    const needsBuffer = plan.conversion !== undefined || plan.fixedBatch !== undefined
    this.buffer =
      needsBuffer && !plan.tokens
        ? new (plan.type === 'uint8' ? Uint8Array : Float32Array)(this.rows * this.perExample)
        : undefined
  }

  /** Examples [from, from + count) as the model's feeds (its input tensor, or a text model's ids and mask). */
  feeds(from: number, count: number): Record<string, Tensor> {
    const tokens = this.plan.tokens
    if (!tokens) return {[this.plan.name]: this.batch(from, count)}
    const rows = this.plan.fixedBatch ?? count
    const examples = this.inputs.subarray(from * this.perExample, (from + count) * this.perExample)
    // A short last batch of a fixed-batch model is padded with [PAD] rows (mask 0).
    const ids = new BigInt64Array(rows * this.perExample).fill(BigInt(tokens.padId))
    const mask = new BigInt64Array(rows * this.perExample)
    for (let i = 0; i < examples.length; i++) {
      ids[i] = BigInt(examples[i])
      mask[i] = examples[i] === tokens.padId ? 0n : 1n
    }
    const dims = [rows, ...this.exampleShape]
    return {[this.plan.name]: tensor(ids, dims), [tokens.maskName]: tensor(mask, dims)}
  }

  /** Examples [from, from + count) as the model's input tensor; count <= rows. */
  batch(from: number, count: number): Tensor {
    const examples = this.inputs.subarray(from * this.perExample, (from + count) * this.perExample)
    const rows = this.plan.fixedBatch ?? count
    if (!this.buffer) return tensor(examples, [rows, ...this.exampleShape])
    const target = this.buffer.subarray(0, rows * this.perExample)
    const conversion = this.plan.conversion
    if (conversion === undefined || conversion === 'cast') target.set(examples)
    else if (examples instanceof Int32Array) throw new Error('token ids are fed by feeds(), never standardized')
    else standardizeInto(examples, target as Float32Array, conversion, this.exampleShape)
    target.fill(0, examples.length)
    return tensor(target, [rows, ...this.exampleShape])
  }
}

/**
 * Dynamic batching: requests for one model queue here, and whenever the model is free, the queued requests
 * whose shapes agree are merged along the first (batch) dimension into one run, up to maxBatchSize rows.
 * The outputs are split back by row, so each request gets exactly what an unbatched run would give it.
 *
 * A token model that takes any sequence length (padSequences) merges requests of different lengths too: each
 * row is right-padded to the longest request in the batch, which padding that the model masks leaves unchanged.
 *
 * A batch leaves as soon as the model can take it, unless maxQueueDelayMs asks to wait for company: on a
 * CPU, waiting a fixed window only adds latency at low load, while under load requests pile up during the
 * previous run anyway and the batches fill by themselves.
 *
 * "Can take it" means: nothing is running, or fewer than maxInFlight batches are out and a full batch is
 * waiting. A full batch then already waits in the inference thread while the current one runs, so the thread
 * does not sit idle while its result travels back and the next batch is merged and sent (on a busy machine
 * each hand-off can take milliseconds). A partial batch waits instead, and grows, until the model is idle.
 */
import {ServeError} from './serve-error.js'
import {allocateData, elementCount, type Tensor} from './tensor.js'

export type BatchRunner = (inputs: Tensor[]) => Promise<Tensor[]>

export interface BatcherOptions {
  /** rows per run; a single larger request still runs, alone */
  maxBatchSize: number
  maxQueueDelayMs: number
  /** requests waiting; beyond it submit fails with `unavailable` */
  maxQueue: number
  /** a request still queued this long after it arrived fails with `deadline_exceeded` */
  timeoutMs: number
  /** false for models without a shared free batch dimension: every request then runs on its own */
  mergeable: boolean
  /** batches handed to the runner and not yet answered */
  maxInFlight: number
  /**
   * Token models that take any sequence length: each input's pad value (input_ids: the pad id, attention_mask:
   * 0), by which requests of different lengths (their second dimension) merge, padded to the batch's longest.
   */
  padSequences?: readonly number[]
}

export interface BatcherObserver {
  onBatch(rows: number, requests: number): void
  onQueueDepth(depth: number): void
}

interface QueuedRequest {
  inputs: Tensor[]
  rows: number
  /** requests merge only when every input has the same shape beyond the batch (and a padded sequence) dimension */
  shapeKey: string
  enqueuedAt: number
  resolve: (outputs: Tensor[]) => void
  reject: (err: Error) => void
}

export class DynamicBatcher {
  private queue: QueuedRequest[] = []
  private queuedRows = 0
  private inFlight = 0
  private timer: NodeJS.Timeout | undefined
  private idleWaiters: Array<() => void> = []

  constructor(
    private readonly run: BatchRunner,
    private readonly options: BatcherOptions,
    private readonly observer: BatcherObserver,
  ) {}

  /** `inputs` are in the model's input order; when the model is mergeable, they share their first dimension. */
  submit(inputs: Tensor[]): Promise<Tensor[]> {
    if (this.queue.length >= this.options.maxQueue) {
      return Promise.reject(
        new ServeError(
          'unavailable',
          `queue is full (${this.options.maxQueue} requests waiting); retry later or raise --max-queue`,
        ),
      )
    }
    return new Promise((resolve, reject) => {
      const rows = inputs[0]?.shape[0] ?? 1
      const fixedFrom = this.options.padSequences ? 2 : 1
      const shapeKey = inputs.map((input) => input.shape.slice(fixedFrom).join(',')).join(';')
      this.queue.push({inputs, rows, shapeKey, enqueuedAt: performance.now(), resolve, reject})
      this.queuedRows += rows
      this.observer.onQueueDepth(this.queue.length)
      this.schedule()
    })
  }

  /** Resolves once nothing is queued or running. */
  whenIdle(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  private schedule(): void {
    if (this.inFlight >= this.options.maxInFlight || this.queue.length === 0) return
    const full = this.queuedRows >= this.options.maxBatchSize || !this.options.mergeable
    if (this.inFlight > 0 && !full) return
    const waited = performance.now() - this.queue[0].enqueuedAt
    if (full || waited >= this.options.maxQueueDelayMs) {
      if (this.timer) clearTimeout(this.timer)
      this.timer = undefined
      void this.dispatch()
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined
        this.schedule()
      }, this.options.maxQueueDelayMs - waited)
    }
  }

  private takeBatch(): QueuedRequest[] {
    const now = performance.now()
    const batch: QueuedRequest[] = []
    let rows = 0
    while (this.queue.length > 0) {
      const next = this.queue[0]
      if (now - next.enqueuedAt > this.options.timeoutMs) {
        this.remove()
        next.reject(
          new ServeError('deadline_exceeded', `request waited longer than ${this.options.timeoutMs} ms in the queue`),
        )
        continue
      }
      if (batch.length > 0) {
        if (!this.options.mergeable || next.shapeKey !== batch[0].shapeKey) break
        if (rows + next.rows > this.options.maxBatchSize) break
      }
      this.remove()
      batch.push(next)
      rows += next.rows
    }
    return batch
  }

  private remove(): void {
    const request = this.queue.shift()!
    this.queuedRows -= request.rows
  }

  private async dispatch(): Promise<void> {
    const batch = this.takeBatch()
    this.observer.onQueueDepth(this.queue.length)
    if (batch.length === 0) return this.settleIdle()
    this.inFlight++
    // A full batch may already be waiting for the second slot.
    this.schedule()
    try {
      const rows = batch.reduce((sum, request) => sum + request.rows, 0)
      this.observer.onBatch(rows, batch.length)
      if (batch.length === 1) {
        batch[0].resolve(await this.run(batch[0].inputs))
      } else {
        const outputs = await this.run(
          this.options.padSequences ? mergePaddedInputs(batch, this.options.padSequences) : mergeInputs(batch),
        )
        splitOutputs(outputs, batch)
      }
    } catch (err) {
      for (const request of batch) request.reject(err as Error)
    } finally {
      this.inFlight--
    }
    this.schedule()
    this.settleIdle()
  }

  private settleIdle(): void {
    if (this.inFlight > 0 || this.queue.length > 0) return
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const resolve of waiters) resolve()
  }
}

function mergeInputs(batch: QueuedRequest[]): Tensor[] {
  const rows = batch.reduce((sum, request) => sum + request.rows, 0)
  return batch[0].inputs.map((first, index) => {
    const data = allocateData(first.datatype, rows * elementCount(first.shape.slice(1)))
    let offset = 0
    for (const request of batch) {
      const part = request.inputs[index].data
      ;(data as Float32Array).set(part as Float32Array, offset)
      offset += part.length
    }
    return {name: first.name, datatype: first.datatype, shape: [rows, ...first.shape.slice(1)], data}
  })
}

/** Rows [n, length] of every request, right-padded with the input's pad value to the batch's longest length. */
function mergePaddedInputs(batch: QueuedRequest[], padValues: readonly number[]): Tensor[] {
  const rows = batch.reduce((sum, request) => sum + request.rows, 0)
  return batch[0].inputs.map((first, index) => {
    const length = Math.max(...batch.map((request) => request.inputs[index].shape[1]))
    const data = allocateData(first.datatype, rows * length)
    const pad = padValues[index]
    if (data instanceof BigInt64Array || data instanceof BigUint64Array) data.fill(BigInt(pad))
    else data.fill(pad)
    let row = 0
    for (const request of batch) {
      const {data: part, shape} = request.inputs[index]
      const [count, width] = shape
      for (let r = 0; r < count; r++, row++)
        (data as Float32Array).set((part as Float32Array).subarray(r * width, (r + 1) * width), row * length)
    }
    return {name: first.name, datatype: first.datatype, shape: [rows, length], data}
  })
}

function splitOutputs(outputs: Tensor[], batch: QueuedRequest[]): void {
  const rows = batch.reduce((sum, request) => sum + request.rows, 0)
  for (const output of outputs) {
    if (output.shape[0] !== rows) {
      throw new ServeError(
        'internal',
        `output ${output.name} has ${output.shape[0]} rows for a batch of ${rows}, so batched results cannot be split; serve this model with --max-batch-size 1`,
      )
    }
  }
  let firstRow = 0
  for (const request of batch) {
    request.resolve(
      outputs.map((output) => {
        const rowSize = elementCount(output.shape.slice(1))
        return {
          name: output.name,
          datatype: output.datatype,
          shape: [request.rows, ...output.shape.slice(1)],
          data: output.data.subarray(firstRow * rowSize, (firstRow + request.rows) * rowSize),
        }
      }),
    )
    firstRow += request.rows
  }
}

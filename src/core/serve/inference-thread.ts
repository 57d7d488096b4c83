/**
 * The main-thread handle of one inference worker (inference-worker.ts): starts it, sends it batches,
 * and stops it cooperatively. Tensor buffers are transferred, not copied, in both directions.
 */
import {Worker} from 'node:worker_threads'

import {canHandOver, type TensorData} from './tensor.js'

export interface WorkerStartOptions {
  modelPath: string
  intraOpThreads: number
}

export interface WireTensor {
  name: string
  /** onnxruntime element type, e.g. float32 */
  type: string
  dims: number[]
  data: TensorData
}

export interface WireValueInfo {
  name: string
  type: string
  /** numbers for fixed dimensions, strings for symbolic ones */
  shape: Array<number | string>
}

export type WorkerRequest = {type: 'run'; id: number; feeds: WireTensor[]} | {type: 'close'}

export type WorkerReply =
  | {type: 'ready'; inputs: WireValueInfo[]; outputs: WireValueInfo[]}
  | {type: 'load-error'; message: string}
  | {type: 'result'; id: number; seconds: number; outputs: WireTensor[]}
  | {type: 'run-error'; id: number; message: string}

export interface RunResult {
  outputs: WireTensor[]
  /** time spent inside session.run */
  seconds: number
}

interface PendingRun {
  resolve: (result: RunResult) => void
  reject: (err: Error) => void
}

export class InferenceThread {
  private nextId = 1
  private readonly pending = new Map<number, PendingRun>()
  private readonly exited: Promise<void>

  private constructor(
    private readonly worker: Worker,
    readonly inputs: WireValueInfo[],
    readonly outputs: WireValueInfo[],
  ) {
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()))
    worker.on('message', (message: WorkerReply) => this.settle(message))
    worker.on('exit', () => this.failAll(new Error('inference worker stopped')))
    worker.on('error', (err) => this.failAll(err))
  }

  /** Resolves once the model is loaded; rejects with onnxruntime's message if it cannot be. */
  static start(options: WorkerStartOptions): Promise<InferenceThread> {
    const worker = new Worker(new URL('./inference-worker.js', import.meta.url), {workerData: options})
    return new Promise((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`inference worker exited with code ${code} while loading`))
      worker.once('error', reject)
      worker.once('exit', onExit)
      worker.once('message', (message: WorkerReply) => {
        worker.off('error', reject)
        worker.off('exit', onExit)
        if (message.type === 'ready') resolve(new InferenceThread(worker, message.inputs, message.outputs))
        else
          reject(
            new Error(message.type === 'load-error' ? message.message : `unexpected worker message ${message.type}`),
          )
      })
    })
  }

  /** The feeds' buffers are handed over to the worker and unusable here afterwards. */
  run(feeds: WireTensor[]): Promise<RunResult> {
    const id = this.nextId++
    // A view into a larger buffer (e.g. Node's pooled Buffers) would hand over memory that is not ours.
    const owned = feeds.map((feed) => (canHandOver(feed.data) ? feed : {...feed, data: feed.data.slice()}))
    // Inputs read from one request body share its buffer: list it once.
    const transfer = [...new Set(owned.map((feed) => feed.data.buffer as ArrayBuffer))]
    return new Promise((resolve, reject) => {
      this.pending.set(id, {resolve, reject})
      const request: WorkerRequest = {type: 'run', id, feeds: owned}
      this.worker.postMessage(request, transfer)
    })
  }

  /** Lets the run in progress finish, releases the session, and waits for the thread to end. */
  async close(): Promise<void> {
    const request: WorkerRequest = {type: 'close'}
    this.worker.postMessage(request)
    await this.exited
  }

  private settle(message: WorkerReply): void {
    if (message.type !== 'result' && message.type !== 'run-error') return
    const pending = this.pending.get(message.id)
    if (!pending) return
    this.pending.delete(message.id)
    if (message.type === 'result') pending.resolve({outputs: message.outputs, seconds: message.seconds})
    else pending.reject(new Error(message.message))
  }

  private failAll(err: Error): void {
    for (const pending of this.pending.values()) pending.reject(err)
    this.pending.clear()
  }
}

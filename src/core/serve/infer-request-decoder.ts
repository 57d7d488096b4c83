/**
 * Decodes HTTP inference request bodies (infer-json.ts) on worker threads, so that the thread serving every
 * connection does not spend its time reading numbers.
 *
 * Why: with JSON tensors, parsing was the largest single cost of the request-handling thread (a 784-float image
 * is ~15 KB of digits, ~35 µs of its ~115 µs per request), and that thread, not inference, set both the
 * throughput and the tail latency. A 64-image JSON request takes milliseconds to parse. Handing the body to a
 * decoder thread costs two messages (and a copy when the body is not the request's own buffer), so small bodies
 * are still decoded in place.
 */
import {Worker} from 'node:worker_threads'

import {decodeInferRequest, type InferRequest} from './infer-json.js'
import {ServeError, type ServeErrorKind} from './serve-error.js'
import {canHandOver} from './tensor.js'

/** JSON parts below this are decoded on the calling thread: the hand-off would cost about as much as the parse. */
export const OFFLOAD_MIN_BYTES = 4096

export interface DecodeJob {
  id: number
  body: Uint8Array
  jsonLength: string | undefined
}

export type DecodeReply =
  {id: number; request: InferRequest} | {id: number; error: {kind: ServeErrorKind; message: string}}

interface DecoderThread {
  worker: Worker
  /** false once the thread has ended: bodies then go to the others, or are decoded in place */
  alive: boolean
  pending: Map<number, {resolve: (request: InferRequest) => void; reject: (err: Error) => void}>
}

export class InferRequestDecoder {
  private nextId = 1

  private constructor(private readonly threads: DecoderThread[]) {}

  /** `threads` 0 decodes every body on the calling thread. */
  static async start(threads: number): Promise<InferRequestDecoder> {
    const started = await Promise.all(Array.from({length: threads}, () => startThread()))
    return new InferRequestDecoder(started)
  }

  /**
   * `jsonLength` is the Inference-Header-Content-Length header, if the request has one. The body may be handed
   * to a decoder thread: do not use it afterwards.
   */
  async decode(body: Buffer, jsonLength: string | undefined): Promise<InferRequest> {
    const jsonBytes = jsonLength === undefined ? body.length : Number(jsonLength)
    if (!(jsonBytes >= OFFLOAD_MIN_BYTES)) return decodeInferRequest(body, jsonLength)
    const alive = this.threads.filter((thread) => thread.alive)
    if (alive.length === 0) return decodeInferRequest(body, jsonLength)
    const thread = alive.reduce((best, candidate) => (candidate.pending.size < best.pending.size ? candidate : best))
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      thread.pending.set(id, {resolve, reject})
      // A view into a larger buffer (a socket read, Node's pool) would be cloned whole by postMessage (measured:
      // 24 µs per request), and may share that buffer with other requests' bytes: then copy exactly the body.
      const job: DecodeJob = {id, body: canHandOver(body) ? body : new Uint8Array(body), jsonLength}
      thread.worker.postMessage(job, [job.body.buffer as ArrayBuffer])
    })
  }

  /** Call once no decode is pending (after the front ends have drained). */
  async close(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.worker.terminate()))
  }
}

async function startThread(): Promise<DecoderThread> {
  const worker = new Worker(new URL('./infer-request-decoder-worker.js', import.meta.url))
  const thread: DecoderThread = {worker, alive: true, pending: new Map()}
  worker.on('message', (reply: DecodeReply) => {
    const pending = thread.pending.get(reply.id)
    if (!pending) return
    thread.pending.delete(reply.id)
    if ('request' in reply) pending.resolve(reply.request)
    else pending.reject(new ServeError(reply.error.kind, reply.error.message))
  })
  const failAll = (err: Error) => {
    thread.alive = false
    for (const pending of thread.pending.values())
      pending.reject(new ServeError('internal', `request decoder stopped: ${err.message}`))
    thread.pending.clear()
  }
  worker.on('error', failAll)
  worker.on('exit', () => failAll(new Error('thread exited')))
  await new Promise<void>((resolve, reject) => {
    worker.once('online', resolve)
    worker.once('error', reject)
  })
  // An idle decoder must not keep the process alive on its own.
  worker.unref()
  return thread
}

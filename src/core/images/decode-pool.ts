/**
 * Image decoding on worker threads (decode-worker.ts), one per core: PNG and JPEG decode in JavaScript, so
 * on the calling thread they would hold up everything else (serve's health checks and small requests while a
 * large photo decodes; predict's inference). The folder reader, predict and serve all decode through here.
 *
 * Jobs queue up and go to the workers in batches (up to BATCH_LIMIT per message, fewer when the queue is
 * short), so a folder of small files pays one message per batch rather than per file. Files are named by path
 * and read by the worker; uploaded bytes are copied to it. The workers start on the first job (or warm()),
 * and an idle pool never keeps the process alive.
 */
import {availableParallelism} from 'node:os'
import {Worker} from 'node:worker_threads'

import type {ImageFacts} from './decode-raw.js'
import type {ImageProblem} from './image-decode-error.js'
import {startModuleWorker} from './module-worker.js'
import {exampleBytes, type ImagePreprocessing} from './image-preprocessing.js'

export interface DecodeJob {
  /** A file the worker reads, or the image's bytes. */
  source: {path: string} | {bytes: Uint8Array}
  preprocessing: ImagePreprocessing
  maxPixels?: number
}

/** The model's input and the file's facts, or why the file cannot be used (a read failure is `undecodable`). */
export type DecodeOutcome = {pixels: Uint8Array; facts: ImageFacts} | {problem: ImageProblem; message: string}

export interface WorkerBatch {
  id: number
  jobs: DecodeJob[]
}

/**
 * A batch's pixels in one array, each decoded job's exampleBytes in job order (a failed job's share left
 * zero), and each job's facts or problem: one transfer and a few small objects per message, where a view per
 * image made the reply cost a fifth of decoding a 28×28 file (bench:images profile). `failure`: an
 * unexpected error in the worker (a bug), not a bad image.
 */
export type WorkerReply =
  | {id: number; pixels: Uint8Array; outcomes: Array<{facts: ImageFacts} | {problem: ImageProblem; message: string}>}
  | {id: number; failure: string}

/** Most jobs in one message: big enough that messages cost little next to decoding 28×28 files. */
const BATCH_LIMIT = 32

/** Messages a worker holds at once: one being decoded, one waiting, so it never idles between them. */
const MESSAGES_PER_WORKER = 2

interface Queued {
  job: DecodeJob
  resolve: (outcome: DecodeOutcome) => void
  reject: (error: Error) => void
}

interface PoolWorker {
  worker: Worker
  inFlight: Map<number, Queued[]>
}

export class DecodePool {
  private readonly queue: Queued[] = []
  private readonly workers: PoolWorker[] = []
  private nextId = 1
  private dispatchScheduled = false
  private closed = false

  constructor(readonly size: number) {}

  decode(job: DecodeJob): Promise<DecodeOutcome> {
    if (this.closed) return Promise.reject(new Error('the image decode pool is closed'))
    return new Promise((resolve, reject) => this.enqueue({job, resolve, reject}))
  }

  /**
   * Decodes every job, telling `onOutcome` each one's outcome as it comes; settles when all have come (or
   * with the first unexpected failure). One promise for a folder's thousands of files, not one each: the
   * calling thread then spends less time per file, time the decoding threads had to share the cores with.
   */
  decodeEach(jobs: DecodeJob[], onOutcome: (index: number, outcome: DecodeOutcome) => void): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the image decode pool is closed'))
    return new Promise((resolve, reject) => {
      let waiting = jobs.length
      if (waiting === 0) resolve()
      jobs.forEach((job, index) =>
        this.enqueue({
          job,
          resolve: (outcome) => {
            onOutcome(index, outcome)
            if (--waiting === 0) resolve()
          },
          reject,
        }),
      )
    })
  }

  private enqueue(queued: Queued): void {
    this.queue.push(queued)
    // jobs queued in the same turn go out together, in batches
    if (!this.dispatchScheduled) {
      this.dispatchScheduled = true
      queueMicrotask(() => this.dispatch())
    }
  }

  /**
   * Starts every worker now rather than on the first job: a worker takes a few hundred milliseconds to start on
   * a busy 2-core machine, time the caller can spend listing files meanwhile.
   */
  warm(): void {
    while (!this.closed && this.workers.length < this.size) this.workers.push(this.spawn())
  }

  /** Stops every worker; jobs not yet answered are rejected. */
  async close(): Promise<void> {
    this.closed = true
    const error = new Error('the image decode pool is closed')
    for (const queued of this.queue.splice(0)) queued.reject(error)
    await Promise.all(this.workers.splice(0).map((entry) => this.stop(entry, error)))
  }

  private dispatch(): void {
    this.dispatchScheduled = false
    if (this.closed) return
    while (this.queue.length > 0) {
      const entry = this.nextWorker()
      if (!entry) return
      // an even share of what waits, so that a short queue still spreads over every thread
      const share = Math.ceil(this.queue.length / (this.size * MESSAGES_PER_WORKER))
      this.send(entry, this.queue.splice(0, Math.min(BATCH_LIMIT, share)))
    }
  }

  /** An idle worker, else a new one while there are fewer than `size`, else one with room; none when all are full. */
  private nextWorker(): PoolWorker | undefined {
    const idle = this.workers.find((entry) => entry.inFlight.size === 0)
    if (idle) return idle
    if (this.workers.length < this.size) {
      const started = this.spawn()
      this.workers.push(started)
      return started
    }
    return this.workers.find((entry) => entry.inFlight.size < MESSAGES_PER_WORKER)
  }

  private send(entry: PoolWorker, batch: Queued[]): void {
    const id = this.nextId++
    const transfer: ArrayBuffer[] = []
    const jobs = batch.map(({job}) => {
      if (!('bytes' in job.source)) return job
      // a copy the worker owns: the caller's bytes may be a view into a larger buffer it still uses
      const bytes = new Uint8Array(job.source.bytes)
      transfer.push(bytes.buffer)
      return {...job, source: {bytes}}
    })
    if (entry.inFlight.size === 0) entry.worker.ref()
    entry.inFlight.set(id, batch)
    entry.worker.postMessage({id, jobs} satisfies WorkerBatch, transfer)
  }

  private spawn(): PoolWorker {
    const entry: PoolWorker = {
      worker: startModuleWorker(new URL('./decode-worker.js', import.meta.url)),
      inFlight: new Map(),
    }
    const {worker} = entry
    worker.on('message', (reply: WorkerReply) => {
      const batch = entry.inFlight.get(reply.id)
      if (!batch) return
      entry.inFlight.delete(reply.id)
      if (entry.inFlight.size === 0) worker.unref()
      if ('failure' in reply) for (const queued of batch) queued.reject(new Error(reply.failure))
      else {
        let offset = 0
        batch.forEach((queued, i) => {
          const outcome = reply.outcomes[i]
          const bytes = exampleBytes(queued.job.preprocessing)
          queued.resolve(
            'facts' in outcome ? {...outcome, pixels: reply.pixels.subarray(offset, offset + bytes)} : outcome,
          )
          offset += bytes
        })
      }
      this.dispatch()
    })
    const fail = (error: Error) => {
      const index = this.workers.indexOf(entry)
      if (index >= 0) this.workers.splice(index, 1)
      for (const batch of entry.inFlight.values()) for (const queued of batch) queued.reject(error)
      entry.inFlight.clear()
      // the jobs still queued go to the other workers, or a new one
      if (this.queue.length > 0) this.dispatch()
    }
    worker.on('error', fail)
    worker.on('exit', (code) => fail(new Error(`an image decode worker stopped (exit code ${code})`)))
    // after the listeners: adding a 'message' listener refs the worker again
    worker.unref()
    return entry
  }

  private async stop(entry: PoolWorker, error: Error): Promise<void> {
    for (const batch of entry.inFlight.values()) for (const queued of batch) queued.reject(error)
    entry.inFlight.clear()
    await entry.worker.terminate()
  }
}

let shared: DecodePool | undefined

/** The process's decode pool, one worker per core, started on first use. */
export function decodePool(): DecodePool {
  shared ??= new DecodePool(availableParallelism())
  return shared
}

/** Stops the shared pool's workers (a later decodePool() starts a new one). */
export async function closeDecodePool(): Promise<void> {
  const pool = shared
  shared = undefined
  await pool?.close()
}

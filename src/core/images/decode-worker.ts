/**
 * Worker-thread entry of decode-pool.ts: decodes each batch of images (reading files itself) into one buffer
 * and hands it back, transferred rather than copied; each outcome's pixels are a view of that buffer.
 */
import {readFileSync} from 'node:fs'
import {parentPort} from 'node:worker_threads'

import type {DecodeJob, WorkerBatch, WorkerReply} from './decode-pool.js'
import {ImageDecodeError} from './image-decode-error.js'
import {decodeImage, exampleBytes} from './image-preprocessing.js'

const port = parentPort!

port.on('message', (batch: WorkerBatch) => void answer(batch))

async function answer({id, jobs}: WorkerBatch): Promise<void> {
  let reply: WorkerReply
  const pixels = new Uint8Array(jobs.reduce((total, job) => total + exampleBytes(job.preprocessing), 0))
  try {
    const outcomes: JobOutcome[] = []
    let offset = 0
    for (const job of jobs) {
      const bytes = exampleBytes(job.preprocessing)
      outcomes.push(await decodeJob(job, pixels.subarray(offset, offset + bytes)))
      offset += bytes
    }
    reply = {id, pixels, outcomes}
  } catch (error) {
    reply = {id, failure: (error as Error).stack ?? String(error)}
  }
  port.postMessage(reply, 'pixels' in reply ? [pixels.buffer] : [])
}

type JobOutcome = Extract<WorkerReply, {outcomes: unknown}>['outcomes'][number]

/** Decodes one job's image into `into`. */
async function decodeJob({source, preprocessing, maxPixels}: DecodeJob, into: Uint8Array): Promise<JobOutcome> {
  let bytes: Uint8Array
  try {
    bytes = 'path' in source ? readFileSync(source.path) : source.bytes
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return {problem: 'undecodable', message: `cannot be read (${code ?? (error as Error).message})`}
  }
  try {
    return {facts: (await decodeImage(bytes, preprocessing, {maxPixels}, into)).facts}
  } catch (error) {
    if (error instanceof ImageDecodeError) return {problem: error.problem, message: error.message}
    throw error
  }
}

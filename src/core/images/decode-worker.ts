/**
 * Worker-thread entry of decode-pool.ts: decodes each batch of images (reading files itself) and hands the
 * pixels back, transferred rather than copied.
 */
import {readFileSync} from 'node:fs'
import {parentPort} from 'node:worker_threads'

import type {DecodeJob, DecodeOutcome, WorkerBatch, WorkerReply} from './decode-pool.js'
import {ImageDecodeError} from './image-decode-error.js'
import {decodeImage} from './image-preprocessing.js'

const port = parentPort!

port.on('message', (batch: WorkerBatch) => void answer(batch))

async function answer({id, jobs}: WorkerBatch): Promise<void> {
  let reply: WorkerReply
  const transfer: ArrayBuffer[] = []
  try {
    const outcomes: DecodeOutcome[] = []
    for (const job of jobs) {
      const outcome = await decodeJob(job)
      if ('pixels' in outcome) transfer.push(outcome.pixels.buffer as ArrayBuffer)
      outcomes.push(outcome)
    }
    reply = {id, outcomes}
  } catch (error) {
    reply = {id, failure: (error as Error).stack ?? String(error)}
    transfer.length = 0
  }
  port.postMessage(reply, transfer)
}

async function decodeJob({source, preprocessing, maxPixels}: DecodeJob): Promise<DecodeOutcome> {
  let bytes: Uint8Array
  try {
    bytes = 'path' in source ? readFileSync(source.path) : source.bytes
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return {problem: 'undecodable', message: `cannot be read (${code ?? (error as Error).message})`}
  }
  try {
    return await decodeImage(bytes, preprocessing, {maxPixels})
  } catch (error) {
    if (error instanceof ImageDecodeError) return {problem: error.problem, message: error.message}
    throw error
  }
}

/**
 * Worker-thread entry that owns one onnxruntime session. `session.run` occupies its thread for the whole run,
 * so running it here keeps the server's event loop free for parsing, health checks and new connections.
 * Messages are described in inference-thread.ts, the main-thread side.
 */
import {parentPort, workerData} from 'node:worker_threads'
import ort from 'onnxruntime-node'

import type {WireTensor, WorkerReply, WorkerRequest, WorkerStartOptions} from './inference-thread.js'

const port = parentPort!
const {modelPath, intraOpThreads} = workerData as WorkerStartOptions

function describe(values: readonly ort.InferenceSession.ValueMetadata[]) {
  return values.map((value) => ({
    name: value.name,
    type: value.isTensor ? value.type : 'non-tensor',
    shape: value.isTensor ? [...value.shape] : [],
  }))
}

function reply(message: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer)
}

async function main(): Promise<void> {
  let session: ort.InferenceSession
  try {
    session = await ort.InferenceSession.create(modelPath, {
      intraOpNumThreads: intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    })
  } catch (err) {
    reply({type: 'load-error', message: err instanceof Error ? err.message : String(err)})
    port.close()
    return
  }

  let running: Promise<void> = Promise.resolve()
  port.on('message', (message: WorkerRequest) => {
    if (message.type === 'run') {
      const {id, feeds} = message
      running = running.then(() => run(session, id, feeds))
      return
    }
    // Never terminate a worker inside run/create: onnxruntime-node aborts the whole process then.
    // Finish the run in progress, release the session, and let the thread end on its own.
    void running.then(async () => {
      await session.release()
      port.close()
    })
  })
  reply({type: 'ready', inputs: describe(session.inputMetadata), outputs: describe(session.outputMetadata)})
}

async function run(session: ort.InferenceSession, id: number, feeds: WireTensor[]): Promise<void> {
  try {
    const inputs: Record<string, ort.Tensor> = {}
    for (const feed of feeds)
      inputs[feed.name] = new ort.Tensor(feed.type as 'float32', feed.data as Float32Array, feed.dims)
    const started = performance.now()
    const results = await session.run(inputs)
    const seconds = (performance.now() - started) / 1000
    const outputs: WireTensor[] = []
    for (const [name, value] of Object.entries(results)) {
      outputs.push({name, type: value.type, dims: [...value.dims], data: value.data as WireTensor['data']})
    }
    reply(
      {type: 'result', id, seconds, outputs},
      outputs.map((output) => output.data.buffer as ArrayBuffer),
    )
  } catch (err) {
    reply({type: 'run-error', id, message: err instanceof Error ? err.message : String(err)})
  }
}

void main()

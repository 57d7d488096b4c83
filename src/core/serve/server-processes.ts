/**
 * Several server processes sharing the same HTTP and gRPC ports (node:cluster), for machines where one
 * process's main thread, which reads and parses every request, is the limit. Each process is a complete
 * server with its own copy of the models; the primary process only starts them, relays shutdown, and
 * merges their Prometheus metrics so that GET /metrics describes the whole server.
 */
import cluster, {type Worker} from 'node:cluster'
import {AggregatorRegistry, type Registry} from 'prom-client'

import {UserError} from '../errors.js'
import type {ModelSummary} from './served-model.js'

export interface ServerAddresses {
  httpUrl: string
  grpcAddress: string
  models: ModelSummary[]
  healthUrl?: string
  /** the certificate served, when TLS is on */
  tls?: string
}

type ClusterMessage =
  | ({type: 'mlctl:ready'} & ServerAddresses)
  | {type: 'mlctl:metrics-request'; id: number}
  | {type: 'mlctl:metrics'; id: number; text: string}
  | {type: 'mlctl:shutdown'}

export interface ServerProcesses extends ServerAddresses {
  /** Asks every process to shut down gracefully; resolves when all have exited. */
  shutdown(): Promise<void>
  /** Passes SIGHUP on to every process, each of which re-reads its TLS files. */
  reloadTls(): void
}

/** In the primary: forks `count` copies of this command and resolves once every one is serving. */
export async function startServerProcesses(count: number, log: (line: string) => void): Promise<ServerProcesses> {
  const aggregator = new AggregatorRegistry()
  const workers = Array.from({length: count}, () => cluster.fork())
  let stopping = false
  const exited = workers.map(
    (worker) => new Promise<number>((resolve) => worker.once('exit', (code) => resolve(code ?? 1))),
  )

  for (const worker of workers) {
    worker.on('message', (message: ClusterMessage) => {
      if (message.type !== 'mlctl:metrics-request') return
      aggregator.clusterMetrics().then(
        (text) => send(worker, {type: 'mlctl:metrics', id: message.id, text}),
        (err: Error) =>
          send(worker, {type: 'mlctl:metrics', id: message.id, text: `# metrics unavailable: ${err.message}\n`}),
      )
    })
  }
  const shutdown = async () => {
    stopping = true
    for (const worker of workers) send(worker, {type: 'mlctl:shutdown'})
    await Promise.all(exited)
  }

  const ready = await Promise.race([
    Promise.all(
      workers.map(
        (worker) =>
          new Promise<ServerAddresses>((resolve) => {
            worker.on('message', (message: ClusterMessage) => {
              if (message.type === 'mlctl:ready') resolve(message)
            })
          }),
      ),
    ),
    Promise.race(exited).then(() => undefined),
  ])
  if (!ready) {
    await shutdown()
    throw new UserError('a server process failed to start; its error is shown above')
  }
  // From now on, a server process that dies on its own takes the whole server down, so that the
  // supervisor (systemd, Kubernetes) restarts it rather than leaving it running at part strength.
  exited.forEach(
    (done, index) =>
      void done.then((code) => {
        if (stopping) return
        log(`server process ${index + 1} exited with code ${code}; stopping the others`)
        void shutdown().then(() => process.exit(1))
      }),
  )
  const reloadTls = () => {
    for (const worker of workers) if (!worker.isDead()) worker.process.kill('SIGHUP')
  }
  return {...ready[0], shutdown, reloadTls}
}

/** In a server process: tells the primary where it serves. */
export function announceReady(addresses: ServerAddresses): void {
  process.send!({type: 'mlctl:ready', ...addresses} satisfies ClusterMessage)
}

/** In a server process: resolves when the primary asks for a graceful shutdown. */
export function shutdownRequested(): Promise<void> {
  return new Promise((resolve) => {
    process.on('message', (message: ClusterMessage) => {
      if (message.type === 'mlctl:shutdown') resolve()
    })
  })
}

/**
 * In a server process: the text for GET /metrics, merged over all processes by the primary.
 * `registry` is what this process contributes.
 */
export function clusterMetricsSource(registry: Registry): () => Promise<string> {
  // Constructing one installs prom-client's handler that answers the primary's metrics requests.
  new AggregatorRegistry()
  AggregatorRegistry.setRegistries([registry])
  const pending = new Map<number, (text: string) => void>()
  let nextId = 0
  process.on('message', (message: ClusterMessage) => {
    if (message.type !== 'mlctl:metrics') return
    pending.get(message.id)?.(message.text)
    pending.delete(message.id)
  })
  return () =>
    new Promise((resolve) => {
      const id = nextId++
      pending.set(id, resolve)
      process.send!({type: 'mlctl:metrics-request', id} satisfies ClusterMessage)
    })
}

function send(worker: Worker, message: ClusterMessage): void {
  if (worker.isConnected()) worker.send(message)
}

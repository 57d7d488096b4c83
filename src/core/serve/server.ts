/**
 * Starts the model server: loads every model (each in its own inference worker thread), then opens the
 * HTTP and gRPC front ends. Shutdown is graceful: readiness turns false, no new connections are accepted,
 * every request already received is answered, then the inference threads are stopped cooperatively.
 */
import cluster from 'node:cluster'
import {once} from 'node:events'
import type {Server} from 'node:http'

import {UserError} from '../errors.js'
import {createAuthCheck} from './auth.js'
import {GrpcFrontEnd} from './grpc-server.js'
import {createHealthServer} from './health-server.js'
import {HttpFrontEnd, LISTEN_BACKLOG} from './http-server.js'
import {InferRequestDecoder} from './infer-request-decoder.js'
import {ServerMetrics} from './metrics.js'
import {ModelRegistry} from './model-registry.js'
import type {VersionPolicy} from './model-version.js'
import type {ServeContext} from './serve-context.js'
import type {ModelSummary} from './served-model.js'
import {clusterMetricsSource} from './server-processes.js'
import {ServerTls} from './server-tls.js'
import type {TlsFiles} from './tls-files.js'

export interface ServeOptions {
  models: Array<{name: string; path: string}>
  /** --model-repository: DIR/NAME/VERSION/model.onnx */
  repository: string | undefined
  versionPolicy: VersionPolicy
  /** how often to reread the repository and the model files; 0: never */
  pollSeconds: number
  host: string
  httpPort: number
  grpcPort: number
  /** onnxruntime intra-op threads per model */
  threads: number
  /** worker threads that decode large HTTP inference bodies; 0 decodes them on the request-handling thread */
  decodeThreads: number
  maxBatchSize: number
  maxQueueDelayMs: number
  maxQueue: number
  apiKey: string | undefined
  maxBodyBytes: number
  /** uploaded images larger than this are refused (413); default: decodeImage's limit */
  maxImagePixels?: number
  timeoutMs: number
  /** reported by the server metadata endpoints */
  version: string
  /** HTTPS and gRPC over TLS with these files; plaintext without */
  tls?: TlsFiles
  /** a port answering liveness and readiness over plain HTTP, for probes that cannot use the main ports */
  healthPort?: number
}

export interface RunningServer {
  httpUrl: string
  grpcAddress: string
  models: ModelSummary[]
  /** the plain-HTTP health port's URL, with `healthPort` */
  healthUrl?: string
  /** the certificate served, with `tls` */
  tls?: string
  /** Re-reads the TLS files for new connections; files that fail the checks leave the current ones, and a log line. */
  reloadTls(): void
  /** Resolves when every received request has been answered and every model released. */
  shutdown(): Promise<void>
}

export async function startServer(options: ServeOptions, log: (line: string) => void): Promise<RunningServer> {
  // Checked before the models load, so that a wrong file is reported at once.
  const tls = options.tls && new ServerTls(options.tls)
  const metrics = new ServerMetrics()
  const decoder = await InferRequestDecoder.start(options.decodeThreads)
  const registry = await ModelRegistry.load(
    {
      files: options.models,
      repository: options.repository,
      policy: options.versionPolicy,
      settings: {
        threads: options.threads,
        batching: {
          maxBatchSize: options.maxBatchSize,
          maxQueueDelayMs: options.maxQueueDelayMs,
          maxQueue: options.maxQueue,
          timeoutMs: options.timeoutMs,
        },
      },
      controlRefused: cluster.isWorker
        ? 'load and unload would reach only one of the server processes (--processes); use --poll-repository-secs to reload models in all of them'
        : undefined,
    },
    metrics,
    log,
  ).catch(async (err) => {
    await decoder.close()
    throw err
  })
  if (options.pollSeconds > 0) registry.pollEvery(options.pollSeconds)
  let ready = true
  const context: ServeContext = {
    registry,
    decoder,
    metrics,
    authorize: createAuthCheck(options.apiKey),
    server: {name: 'mlctl', version: options.version},
    metricsText: cluster.isWorker ? clusterMetricsSource(metrics.registry) : () => metrics.registry.metrics(),
    maxBodyBytes: options.maxBodyBytes,
    maxImagePixels: options.maxImagePixels,
    isReady: () => ready,
    log,
  }
  const http = new HttpFrontEnd(context, tls)
  const health = options.healthPort === undefined ? undefined : createHealthServer(() => ready)
  const grpc = new GrpcFrontEnd(context)
  // Slow or stalled uploads must not hold a connection forever.
  http.server.requestTimeout = options.timeoutMs
  http.server.headersTimeout = Math.min(options.timeoutMs, 60_000)

  try {
    const host = options.host
    http.server.listen({port: options.httpPort, host, backlog: LISTEN_BACKLOG})
    await once(http.server, 'listening').catch((err: Error & {code?: string}) => {
      throw portError(err, 'HTTP', options.httpPort, '--port')
    })
    const httpPort = (http.server.address() as {port: number}).port
    const grpcHost = host.includes(':') ? `[${host}]` : host
    const grpcPort = await grpc.bind(`${grpcHost}:${options.grpcPort}`, tls).catch((err: Error & {code?: string}) => {
      throw portError(err, 'gRPC', options.grpcPort, '--grpc-port')
    })
    if (health) {
      health.listen({port: options.healthPort, host})
      await once(health, 'listening').catch((err: Error & {code?: string}) => {
        throw portError(err, 'health', options.healthPort!, '--health-port')
      })
    }
    return {
      httpUrl: `${tls ? 'https' : 'http'}://${grpcHost}:${httpPort}`,
      grpcAddress: `${grpcHost}:${grpcPort}`,
      models: registry.list().map((model) => model.summary()),
      healthUrl: health && `http://${grpcHost}:${(health.address() as {port: number}).port}`,
      tls: tls?.describe(),
      reloadTls() {
        if (!tls) return
        try {
          tls.reload()
          log(`TLS files reloaded: serving ${tls.describe()}`)
        } catch (err) {
          log(`TLS files not reloaded, still serving the previous certificate: ${(err as Error).message}`)
        }
      },
      async shutdown() {
        ready = false
        await Promise.all([http.close(), grpc.close()])
        // Probes keep getting answers (not ready) until the front ends have drained.
        if (health) await closeHealthServer(health)
        await Promise.all([registry.close(), decoder.close()])
      },
    }
  } catch (err) {
    if (health?.listening) await closeHealthServer(health)
    if (http.server.listening) await http.close()
    grpc.server.forceShutdown()
    await Promise.all([registry.close(), decoder.close()])
    throw err
  }
}

function closeHealthServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  server.closeAllConnections()
  return closed
}

function portError(err: Error & {code?: string}, what: string, port: number, flag: string): Error {
  const message = `${err.message} ${err.code ?? ''}`
  if (/EADDRINUSE|address already in use/i.test(message)) {
    return new UserError(`${what} port ${port} is in use; pick another with ${flag} (0 picks a free one)`)
  }
  if (/EACCES|permission denied/i.test(message)) {
    return new UserError(`not allowed to listen on ${what} port ${port}; use a port above 1023 with ${flag}`)
  }
  return new UserError(`cannot listen for ${what} on port ${port}: ${err.message}`)
}

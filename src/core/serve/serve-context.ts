/** What the HTTP and gRPC front ends share: the models, metrics, the API-key check and the server's state. */
import type {AuthCheck} from './auth.js'
import type {InferRequestDecoder} from './infer-request-decoder.js'
import type {ServerMetrics} from './metrics.js'
import type {ModelRegistry} from './model-registry.js'

export interface ServeContext {
  registry: ModelRegistry
  /** turns HTTP inference request bodies into tensors, on worker threads when they are large */
  decoder: InferRequestDecoder
  metrics: ServerMetrics
  authorize: AuthCheck
  server: {name: string; version: string}
  /** the Prometheus text for GET /metrics (merged over all server processes when there are several) */
  metricsText(): Promise<string>
  /** largest request body / gRPC message accepted */
  maxBodyBytes: number
  /** most pixels an uploaded image may decode to (a decompression-bomb guard); default: decodeImage's */
  maxImagePixels?: number
  /** false once shutdown has begun, so that load balancers stop sending requests */
  isReady(): boolean
  /** for events worth an operator's attention, e.g. inference failures */
  log(line: string): void
}

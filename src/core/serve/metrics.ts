/**
 * Prometheus metrics for GET /metrics: requests by protocol/endpoint/model/status, request latency,
 * rows per inference run (how well batching merges), queue depth, time inside onnxruntime, model loads
 * (failed ones included), image uploads and their decode time, plus the standard Node.js process metrics
 * (CPU, memory, event-loop lag).
 */
import {Counter, Gauge, Histogram, Registry, collectDefaultMetrics} from 'prom-client'

import type {ImageObserver} from './image-upload.js'
import type {RegistryObserver} from './model-registry.js'

export type Protocol = 'http' | 'grpc'

export class ServerMetrics implements RegistryObserver, ImageObserver {
  readonly registry = new Registry()

  private readonly requests = new Counter({
    name: 'mlctl_requests_total',
    help: 'Requests answered, by protocol, endpoint, model and status (HTTP status code or gRPC status name).',
    labelNames: ['protocol', 'endpoint', 'model', 'status'] as const,
    registers: [this.registry],
  })

  private readonly latency = new Histogram({
    name: 'mlctl_request_duration_seconds',
    help: 'Time from a request being read to its answer being handed to the connection.',
    labelNames: ['protocol', 'endpoint', 'model'] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  })

  private readonly batchSize = new Histogram({
    name: 'mlctl_batch_size',
    help: 'Rows (e.g. images) per onnxruntime run after dynamic batching.',
    labelNames: ['model'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers: [this.registry],
  })

  private readonly batchRequests = new Histogram({
    name: 'mlctl_batch_requests',
    help: 'Requests merged into one onnxruntime run.',
    labelNames: ['model'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  })

  private readonly queueDepth = new Gauge({
    name: 'mlctl_queue_depth',
    help: 'Requests waiting for a model.',
    labelNames: ['model'] as const,
    registers: [this.registry],
  })

  private readonly inference = new Histogram({
    name: 'mlctl_inference_duration_seconds',
    help: 'Time inside onnxruntime per run (one batch).',
    labelNames: ['model'] as const,
    buckets: [0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 2],
    registers: [this.registry],
  })

  private readonly modelLoads = new Counter({
    name: 'mlctl_model_loads_total',
    help: 'Model versions loaded (at start-up, on load requests and on repository changes), by result: loaded or failed.',
    labelNames: ['model', 'result'] as const,
    registers: [this.registry],
  })

  private readonly imageRequests = new Counter({
    name: 'mlctl_image_requests_total',
    help: 'Requests to /predict that uploaded images (decoded or not), by model.',
    labelNames: ['model'] as const,
    registers: [this.registry],
  })

  private readonly imagesDecoded = new Counter({
    name: 'mlctl_images_total',
    help: 'Images uploaded to /predict, by model.',
    labelNames: ['model'] as const,
    registers: [this.registry],
  })

  private readonly imageDecode = new Histogram({
    name: 'mlctl_image_decode_duration_seconds',
    help: "Time to decode and resize one request's uploaded images (in parallel, off the connection thread).",
    labelNames: ['model'] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  })

  constructor() {
    collectDefaultMetrics({register: this.registry})
  }

  /** `model` is '' for server-level endpoints and for names that are not served (to bound label values). */
  observeRequest(protocol: Protocol, endpoint: string, model: string, status: string, seconds: number): void {
    this.requests.inc({protocol, endpoint, model, status})
    this.latency.observe({protocol, endpoint, model}, seconds)
  }

  onBatch(model: string, rows: number, requests: number): void {
    this.batchSize.observe({model}, rows)
    this.batchRequests.observe({model}, requests)
  }

  onQueueDepth(model: string, depth: number): void {
    this.queueDepth.set({model}, depth)
  }

  onModelLoad(model: string, result: 'loaded' | 'failed'): void {
    this.modelLoads.inc({model, result})
  }

  onImagesDecoded(model: string, images: number, seconds: number): void {
    this.imageRequests.inc({model})
    this.imagesDecoded.inc({model}, images)
    this.imageDecode.observe({model}, seconds)
  }

  onInference(model: string, seconds: number): void {
    this.inference.observe({model}, seconds)
  }
}

/**
 * The gRPC front end: inference.GRPCInferenceService (Open Inference Protocol) and grpc.health.v1.Health,
 * on @grpc/grpc-js. Requests that send raw_input_contents get raw_output_contents back; requests that
 * send typed contents get typed contents back.
 */
import {
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServiceDefinition,
  type ServerUnaryCall,
  type ServerWritableStream,
} from '@grpc/grpc-js'
import type protobuf from 'protobufjs'

import {quote} from './client-text.js'
import {loadGrpcServices, loadProtoTypes} from './grpc-protos.js'
import {wireFormatProblem} from './protobuf-wire-check.js'
import {checkLoadParameters} from './repository-requests.js'
import {asServeError, ServeError, type ServeErrorKind} from './serve-error.js'
import type {ServeContext} from './serve-context.js'
import type {ServerTls} from './server-tls.js'
import {
  invalid,
  readTensorHeader,
  tensorFromContents,
  tensorFromRaw,
  tensorToContents,
  tensorToRaw,
} from './tensor-codec.js'

const GRPC_STATUS: Record<ServeErrorKind, status> = {
  invalid_argument: status.INVALID_ARGUMENT,
  unauthenticated: status.UNAUTHENTICATED,
  not_found: status.NOT_FOUND,
  too_large: status.RESOURCE_EXHAUSTED,
  unavailable: status.UNAVAILABLE,
  deadline_exceeded: status.DEADLINE_EXCEEDED,
  internal: status.INTERNAL,
}

/** The request fields this server reads, as @grpc/proto-loader decodes them (see grpc-protos.ts). */
interface InferInputMessage {
  name: string
  datatype: string
  shape: number[]
  contents: Record<string, unknown[]> | null
}

interface ModelInferMessage {
  model_name: string
  model_version: string
  id: string
  inputs: InferInputMessage[]
  outputs: Array<{name: string}>
  raw_input_contents: Buffer[]
}

interface RepositoryControlMessage {
  model_name: string
  parameters: Record<string, unknown>
}

/** Stands in for a request whose bytes are not a valid protobuf message, so it can be answered INVALID_ARGUMENT. */
class MalformedRequest {
  constructor(readonly reason: string) {}
}

/** Set by a handler so the request is counted under the model it named. */
interface Labels {
  model: string
}

export class GrpcFrontEnd {
  readonly server: Server
  private readonly watchers = new Set<ServerWritableStream<unknown, unknown>>()

  constructor(private readonly context: ServeContext) {
    this.server = new Server({
      'grpc.max_receive_message_length': context.maxBodyBytes,
      'grpc.max_send_message_length': -1,
    })
    const services = loadGrpcServices()
    const {registry} = context
    const inferenceService = loadProtoTypes().lookupService('inference.GRPCInferenceService')
    this.server.addService(tolerateMalformedRequests(services.inference.service, inferenceService), {
      ServerLive: this.unary('server_live', false, async () => ({live: true})),
      ServerReady: this.unary('server_ready', true, async () => ({ready: context.isReady()})),
      ModelReady: this.unary('model_ready', true, async (request: {name: string; version: string}, labels) => {
        labels.model = registry.get(request.name, request.version || undefined).name
        return {ready: context.isReady()}
      }),
      ServerMetadata: this.unary('server_metadata', true, async () => ({
        ...context.server,
        extensions: ['model_repository'],
      })),
      ModelMetadata: this.unary('model_metadata', true, async (request: {name: string; version: string}, labels) => {
        const model = registry.get(request.name, request.version || undefined)
        labels.model = model.name
        return model.metadata(registry.versions(model.name))
      }),
      ModelInfer: this.unary('infer', true, (request: ModelInferMessage, labels) => this.infer(request, labels)),
      RepositoryIndex: this.unary('repository_index', true, async (request: {ready: boolean}) => ({
        models: registry.index().filter((entry) => !request.ready || entry.state === 'READY'),
      })),
      RepositoryModelLoad: this.unary('repository_load', true, async (request: RepositoryControlMessage, labels) => {
        if (registry.knows(request.model_name)) labels.model = request.model_name
        checkLoadParameters(Object.keys(request.parameters))
        await registry.load(request.model_name)
        return {}
      }),
      RepositoryModelUnload: this.unary(
        'repository_unload',
        true,
        async (request: RepositoryControlMessage, labels) => {
          if (registry.knows(request.model_name)) labels.model = request.model_name
          await registry.unload(request.model_name)
          return {}
        },
      ),
    })
    // Health has no API key check: Kubernetes gRPC probes cannot send metadata.
    this.server.addService(services.health.service, {
      Check: (call: ServerUnaryCall<{service: string}, unknown>, callback: sendUnaryData<unknown>) => {
        if (!this.knowsService(call.request.service)) {
          callback({code: status.NOT_FOUND, details: `unknown service ${quote(call.request.service)}`})
          return
        }
        callback(null, {status: this.healthStatus()})
      },
      Watch: (call: ServerWritableStream<{service: string}, unknown>) => {
        call.write({status: this.knowsService(call.request.service) ? this.healthStatus() : 'SERVICE_UNKNOWN'})
        this.watchers.add(call)
        call.on('cancelled', () => this.watchers.delete(call))
      },
    })
  }

  /** Listens on `address`, over TLS with `tls` (following its reloads), and resolves with the port. */
  bind(address: string, tls?: ServerTls): Promise<number> {
    const credentials = tls ? tls.grpcCredentials() : ServerCredentials.createInsecure()
    return new Promise((resolve, reject) => {
      this.server.bindAsync(address, credentials, (err, port) => (err ? reject(err) : resolve(port)))
    })
  }

  /** Tells health watchers the server is going away, then waits for calls in progress to finish. */
  async close(): Promise<void> {
    for (const watcher of this.watchers) {
      watcher.write({status: 'NOT_SERVING'})
      watcher.end()
    }
    this.watchers.clear()
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()))
  }

  private async infer(request: ModelInferMessage, labels: Labels): Promise<unknown> {
    const model = this.context.registry.get(request.model_name, request.model_version || undefined)
    labels.model = model.name
    const raw = request.raw_input_contents
    const useRaw = raw.length > 0
    if (useRaw && raw.length !== request.inputs.length) {
      throw invalid(
        `raw_input_contents has ${raw.length} entries for ${request.inputs.length} inputs; send one per input, in the same order`,
      )
    }
    const inputs = request.inputs.map((input, i) => {
      const header = readTensorHeader(input, `inputs[${i}]`)
      if (!useRaw) return tensorFromContents(header, input.contents)
      // The protocol sends all values one way or the other; mixing both would leave one of them unread.
      if (input.contents !== null) {
        throw invalid(
          `input ${quote(header.name)} has contents while the request sends raw_input_contents; send every input's values in raw_input_contents, or each in its contents`,
        )
      }
      return tensorFromRaw(header, raw[i])
    })
    const outputs = await model.infer(
      inputs,
      request.outputs.map((output) => output.name),
    )
    return {
      model_name: model.name,
      model_version: model.version,
      id: request.id,
      outputs: outputs.map((output) => ({
        name: output.name,
        datatype: output.datatype,
        shape: output.shape,
        contents: useRaw ? null : tensorToContents(output),
      })),
      raw_output_contents: useRaw ? outputs.map(tensorToRaw) : [],
    }
  }

  /** `Request` is the decoded message proto-loader hands over for this method (it types none). */
  private unary<Request>(
    endpoint: string,
    needsAuth: boolean,
    handler: (request: Request, labels: Labels) => Promise<unknown>,
  ) {
    return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      const started = performance.now()
      const labels: Labels = {model: ''}
      const finish = (statusName: string) =>
        this.context.metrics.observeRequest(
          'grpc',
          endpoint,
          labels.model,
          statusName,
          (performance.now() - started) / 1000,
        )
      const authorization = call.metadata.get('authorization')[0]
      const run = async () => {
        if (needsAuth && !this.context.authorize(typeof authorization === 'string' ? authorization : undefined)) {
          throw new ServeError(
            'unauthenticated',
            'missing or wrong API key; send the metadata "authorization: Bearer <key>"',
          )
        }
        if (call.request instanceof MalformedRequest)
          throw invalid(`the request is not a valid protobuf message (${call.request.reason})`)
        return handler(call.request as Request, labels)
      }
      run().then(
        (response) => {
          callback(null, response)
          finish('OK')
        },
        (err: unknown) => {
          const error = asServeError(err)
          if (error.kind === 'internal') this.context.log(`gRPC ${endpoint}: ${error.message}`)
          const code = GRPC_STATUS[error.kind]
          callback({code, details: error.message})
          finish(status[code])
        },
      )
    }
  }

  private knowsService(service: string): boolean {
    return service === '' || service === 'inference.GRPCInferenceService'
  }

  private healthStatus(): string {
    return this.context.isReady() ? 'SERVING' : 'NOT_SERVING'
  }
}

/**
 * @grpc/grpc-js answers INTERNAL when a request cannot be decoded; a malformed request is the client's error.
 * The bytes are checked against the message type first: the decoder accepts some malformed messages silently.
 */
function tolerateMalformedRequests(definition: ServiceDefinition, service: protobuf.Service): ServiceDefinition {
  const methods = Object.entries(definition).map(([name, method]) => {
    const requestType = service.methods[name].resolvedRequestType!
    return [
      name,
      {
        ...method,
        requestDeserialize(bytes: Buffer): unknown {
          const problem = wireFormatProblem(requestType, bytes)
          if (problem) return new MalformedRequest(problem)
          try {
            return method.requestDeserialize(bytes) as unknown
          } catch (err) {
            return new MalformedRequest((err as Error).message)
          }
        },
      },
    ]
  })
  return Object.fromEntries(methods) as ServiceDefinition
}

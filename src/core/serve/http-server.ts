/**
 * The HTTP/REST front end (Open Inference Protocol v2 routes, POST /predict, GET /metrics) on node:http.
 * node:http rather than a framework: the measured per-request cost was lower, and the routes are few.
 */
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'

import {quote} from './client-text.js'
import {BINARY_HEADER, encodeInferResponse} from './infer-json.js'
import {parseJsonBody} from './json-body-parser.js'
import {predict} from './predict-api.js'
import {asServeError, HTTP_STATUS, ServeError} from './serve-error.js'
import type {ServeContext} from './serve-context.js'
import {markRequestOwned} from './tensor.js'

interface Reply {
  status: number
  body: string | Buffer
  headers?: Record<string, string | number>
}

interface Route {
  endpoint: string
  /** the served model the request names, '' otherwise: a metrics label, so never a client's free text */
  model: string
  handle(): Promise<Reply>
}

const MODEL_PATH = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(\/ready|\/infer)?$/

export class HttpFrontEnd {
  readonly server: Server
  private inFlight = 0
  private drained: (() => void) | undefined

  constructor(private readonly context: ServeContext) {
    this.server = createServer((req, res) => void this.onRequest(req, res))
  }

  /** Stops accepting connections, lets requests in progress finish, then closes the remaining connections. */
  async close(): Promise<void> {
    // One turn of the event loop first: requests whose bytes arrived with the signal get read and so count
    // as in progress, instead of their connections being closed as idle.
    await new Promise((resolve) => setImmediate(resolve))
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.server.closeIdleConnections()
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve))
    this.server.closeAllConnections()
    await closed
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now()
    this.inFlight++
    const [rawPath, query] = (req.url ?? '/').split('?', 2)
    const path = rawPath.replace(/\/+$/, '') || '/'
    let route: Route = {endpoint: 'unknown', model: '', handle: async () => notFound(req)}
    let reply: Reply
    try {
      // The body is read before anything can fail: answering while the client still sends it would cut
      // the connection, and the client would see a reset instead of the error.
      const body = await readBody(req, this.context.maxBodyBytes)
      // Liveness stays open so that probes need no secret; everything else, unknown paths included, needs the key.
      if (path !== '/v2/health/live' && !this.context.authorize(req.headers.authorization)) {
        throw new ServeError(
          'unauthenticated',
          'missing or wrong API key; send the header "Authorization: Bearer <key>"',
        )
      }
      route = this.route(req, path, new URLSearchParams(query), body)
      reply = await route.handle()
    } catch (err) {
      const error = asServeError(err)
      if (error.kind === 'internal') this.context.log(`${req.method} ${req.url}: ${error.message}`)
      reply = {status: HTTP_STATUS[error.kind], body: JSON.stringify({error: error.message})}
    }
    this.send(req, res, reply)
    this.context.metrics.observeRequest(
      'http',
      route.endpoint,
      route.model,
      String(reply.status),
      (performance.now() - started) / 1000,
    )
    if (--this.inFlight === 0 && this.drained) this.drained()
  }

  private send(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      ...reply.headers,
      'content-length': Buffer.byteLength(reply.body),
    }
    if (reply.status === 401) headers['www-authenticate'] = 'Bearer'
    // After shutdown began, each connection carries no further request.
    if (!this.context.isReady()) headers.connection = 'close'
    res.writeHead(reply.status, headers)
    res.end(reply.body)
  }

  private route(req: IncomingMessage, path: string, query: URLSearchParams, body: Buffer): Route {
    const {registry} = this.context
    const method = req.method ?? 'GET'
    const json = (status: number, value: unknown): Reply => ({status, body: JSON.stringify(value)})
    const requireMethod = (wanted: string) => {
      if (method !== wanted) throw new ServeError('invalid_argument', `${path} takes ${wanted}, not ${method}`)
    }

    if (path === '/v2/health/live') {
      return {endpoint: 'server_live', model: '', handle: async () => json(200, {live: true})}
    }
    if (path === '/v2/health/ready') {
      return {
        endpoint: 'server_ready',
        model: '',
        handle: async () => {
          const ready = this.context.isReady()
          return json(ready ? 200 : 503, {ready})
        },
      }
    }
    if (path === '/v2') {
      return {
        endpoint: 'server_metadata',
        model: '',
        handle: async () => json(200, {...this.context.server, extensions: ['binary_tensor_data']}),
      }
    }
    if (path === '/metrics') {
      return {
        endpoint: 'metrics',
        model: '',
        handle: async () => {
          return {
            status: 200,
            body: await this.context.metricsText(),
            headers: {'content-type': this.context.metrics.registry.contentType},
          }
        },
      }
    }
    if (path === '/predict') {
      const name = query.get('model')
      const model = name === null ? registry.defaultModel() : registry.get(name)
      return {
        endpoint: 'predict',
        model: model.name,
        handle: async () => {
          requireMethod('POST')
          return json(200, await predict(model, parseJsonBody(body)))
        },
      }
    }
    const match = MODEL_PATH.exec(path)
    if (match) {
      const model = registry.get(
        decodePathPart(match[1]),
        match[2] === undefined ? undefined : decodePathPart(match[2]),
      )
      const action = match[3]
      if (action === '/ready') {
        return {
          endpoint: 'model_ready',
          model: model.name,
          handle: async () => {
            const ready = this.context.isReady()
            return json(ready ? 200 : 503, {name: model.name, ready})
          },
        }
      }
      if (action === '/infer') {
        return {
          endpoint: 'infer',
          model: model.name,
          handle: async () => {
            requireMethod('POST')
            const binaryHeader = req.headers[BINARY_HEADER]
            const request = await this.context.decoder.decode(
              body,
              Array.isArray(binaryHeader) ? binaryHeader[0] : binaryHeader,
            )
            const outputs = await model.infer(request.inputs, request.outputs)
            return {status: 200, ...encodeInferResponse(model.name, request, outputs)}
          },
        }
      }
      return {endpoint: 'model_metadata', model: model.name, handle: async () => json(200, model.metadata())}
    }
    return {endpoint: 'unknown', model: '', handle: async () => notFound(req)}
  }
}

function notFound(req: IncomingMessage): Reply {
  return {
    status: 404,
    body: JSON.stringify({
      error: `no route ${req.method} ${quote(req.url ?? '')}; see /v2, /v2/models/NAME, /v2/models/NAME/infer, /predict, /metrics`,
    }),
  }
}

function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    throw new ServeError('invalid_argument', `malformed percent-encoding in the path: ${quote(part)}`)
  }
}

/**
 * Reads the whole body. A body over the limit is still read to its end, but dropped, for the same reason
 * as above; the server's requestTimeout bounds how long that can take. A body with a declared length goes
 * straight into a buffer of its own: no concatenation, and its tensors can use it in place and be handed to
 * other threads without copies. Binary tensor data then starts 8-byte aligned, whatever the JSON's length.
 */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'])
    const jsonLength = Number(req.headers[BINARY_HEADER])
    const pad = Number.isSafeInteger(jsonLength) && jsonLength >= 0 ? (8 - (jsonLength % 8)) % 8 : 0
    let own: Buffer | undefined
    if (Number.isSafeInteger(declared) && declared > 0 && declared <= maxBytes) {
      // Unpooled and not zero-filled: every byte after the pad is about to be written.
      const buffer = Buffer.allocUnsafeSlow(pad + declared).buffer
      markRequestOwned(buffer)
      own = Buffer.from(buffer, pad, declared)
    }
    let chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      // node:http delivers exactly the declared length, never more.
      if (own) chunk.copy(own, size)
      else if (size + chunk.length <= maxBytes) chunks.push(chunk)
      else chunks = []
      size += chunk.length
    })
    req.on('end', () => {
      if (size > maxBytes) {
        reject(
          new ServeError(
            'too_large',
            `the request body is larger than ${maxBytes} bytes; send fewer rows per request or raise --max-body-mb`,
          ),
        )
      } else {
        resolve(own ?? (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)))
      }
    })
    req.on('error', reject)
    // A client that disconnects mid-body gets neither 'end' nor always 'error'; without this the request
    // would stay in progress forever and hold up a graceful shutdown.
    req.on('close', () => {
      if (!req.complete)
        reject(new ServeError('invalid_argument', 'the client closed the connection before the body was complete'))
    })
  })
}

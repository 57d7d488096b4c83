/**
 * The HTTP/REST front end (Open Inference Protocol v2 routes, POST /predict, GET /metrics) on node:http.
 * node:http rather than a framework: the measured per-request cost was lower, and the routes are few.
 */
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import {createServer as createHttpsServer} from 'node:https'

import {quote} from './client-text.js'
import {BINARY_HEADER, encodeInferResponse} from './infer-json.js'
import {readRequestBody} from './http-request-body.js'
import {predict} from './predict-api.js'
import {classifyPredictBody} from './predict-body.js'
import {checkLoadParameters, controlParameterNames, readyOnly} from './repository-requests.js'
import {asServeError, HTTP_STATUS, ServeError, UnsupportedMediaTypeError} from './serve-error.js'
import type {ServeContext} from './serve-context.js'
import type {ServedModel} from './served-model.js'
import type {ServerTls} from './server-tls.js'

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

const MODEL_PATH = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(\/ready|\/infer|\/predict)?$/
const REPOSITORY_CONTROL_PATH = /^\/v2\/repository\/models\/([^/]+)\/(load|unload)$/

/** Connections the kernel queues for the server to accept (node's default, named because shutdown relies on it). */
export const LISTEN_BACKLOG = 511

export class HttpFrontEnd {
  readonly server: Server
  private accepted = 0
  private inFlight = 0
  private drained: (() => void) | undefined

  /** With `tls`, serves HTTPS, and follows its reloads. */
  constructor(
    private readonly context: ServeContext,
    tls?: ServerTls,
  ) {
    const onRequest = (req: IncomingMessage, res: ServerResponse) => void this.onRequest(req, res)
    if (tls) {
      const server = createHttpsServer(tls.httpsOptions(), onRequest)
      tls.watch(server)
      this.server = server
    } else {
      this.server = createServer(onRequest)
    }
    this.server.on('connection', () => this.accepted++)
  }

  /**
   * Stops accepting connections, answers every request already received, then closes the remaining connections.
   *
   * A request counts as received once its bytes are on a socket, even one still waiting to be accepted. But closing
   * the listening socket resets the connections waiting in its queue, and closing the server closes every connection
   * that node:http has not yet read a request from. So the queue is emptied first: each turn of the event loop accepts
   * one connection (libuv takes one per turn) and reads every open socket once, so after a turn that accepted none,
   * every request already sent has been read and is in progress. The queue held at most LISTEN_BACKLOG connections
   * when shutdown began, which bounds the turns even while clients keep connecting.
   */
  async close(): Promise<void> {
    // The first turn may end in the event loop's current pass, before sockets accepted in it were read.
    await nextTurn()
    for (let turn = 0; turn <= LISTEN_BACKLOG; turn++) {
      const accepted = this.accepted
      await nextTurn()
      if (this.accepted === accepted) break
    }
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve))
    this.server.closeAllConnections()
    await closed
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now()
    this.inFlight++
    // Done once the answer is with the operating system (or the client has gone): closing the connection
    // before that would cut the answer short.
    res.once('close', () => {
      if (--this.inFlight === 0 && this.drained) this.drained()
    })
    const [rawPath, query] = (req.url ?? '/').split('?', 2)
    const path = rawPath.replace(/\/+$/, '') || '/'
    let route: Route = {endpoint: 'unknown', model: '', handle: async () => notFound(req)}
    let reply: Reply
    try {
      // Liveness stays open so that probes need no secret; everything else, unknown paths included, needs the key.
      // It is checked as soon as the headers are in: a client without it must not make the server hold its body.
      if (path !== '/v2/health/live' && !this.context.authorize(req.headers.authorization)) {
        throw new ServeError(
          'unauthenticated',
          'missing or wrong API key; send the header "Authorization: Bearer <key>"',
        )
      }
      // The body is read before anything else can fail: answering while the client still sends it would cut
      // the connection, and the client would see a reset instead of the error.
      const body = await readRequestBody(req, this.context.maxBodyBytes)
      route = this.route(req, path, new URLSearchParams(query), body)
      reply = await route.handle()
    } catch (err) {
      reply = this.errorReply(req, err)
    }
    this.send(req, res, reply)
    this.context.metrics.observeRequest(
      'http',
      route.endpoint,
      route.model,
      String(reply.status),
      (performance.now() - started) / 1000,
    )
  }

  private errorReply(req: IncomingMessage, err: unknown): Reply {
    if (err instanceof UnsupportedMediaTypeError) return {status: 415, body: JSON.stringify({error: err.message})}
    const error = asServeError(err)
    if (error.kind === 'internal') this.context.log(`${req.method} ${req.url}: ${error.message}`)
    return {status: HTTP_STATUS[error.kind], body: JSON.stringify({error: error.message})}
  }

  private send(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      ...reply.headers,
      'content-length': Buffer.byteLength(reply.body),
    }
    if (reply.status === 401) headers['www-authenticate'] = 'Bearer'
    // After shutdown began, each connection carries no further request; nor does one whose body was not read.
    if (!this.context.isReady() || reply.status === 401) headers.connection = 'close'
    res.writeHead(reply.status, headers)
    res.end(reply.body)
  }

  /**
   * POST, or PUT as `curl -T photo.jpg` sends an upload (TorchServe's prediction API takes both): JSON
   * instances, an image, or images in a form.
   */
  private predictRoute(req: IncomingMessage, body: Buffer, model: ServedModel): Route {
    return {
      endpoint: 'predict',
      model: model.name,
      handle: async () => {
        if (req.method !== 'POST' && req.method !== 'PUT')
          throw new ServeError('invalid_argument', `${req.url} takes POST (or PUT with an image), not ${req.method}`)
        const predictBody = classifyPredictBody(req.headers['content-type'], body)
        const options = {maxPixels: this.context.maxImagePixels, observer: this.context.metrics}
        return {status: 200, body: JSON.stringify(await predict(model, predictBody, options))}
      },
    }
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
        handle: async () => json(200, {...this.context.server, extensions: ['binary_tensor_data', 'model_repository']}),
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
      return this.predictRoute(req, body, name === null ? registry.defaultModel() : registry.get(name))
    }
    if (path === '/v2/repository/index') {
      return {
        endpoint: 'repository_index',
        model: '',
        handle: async () => {
          requireMethod('POST')
          const ready = readyOnly(body)
          return json(
            200,
            registry.index().filter((entry) => !ready || entry.state === 'READY'),
          )
        },
      }
    }
    const control = REPOSITORY_CONTROL_PATH.exec(path)
    if (control) {
      const name = decodePathPart(control[1])
      const action = control[2]
      return {
        endpoint: `repository_${action}`,
        model: registry.knows(name) ? name : '',
        handle: async () => {
          requireMethod('POST')
          const parameters = controlParameterNames(body)
          if (action === 'load') {
            checkLoadParameters(parameters)
            await registry.load(name)
          } else {
            await registry.unload(name)
          }
          return {status: 200, body: ''}
        },
      }
    }
    const match = MODEL_PATH.exec(path)
    if (match) {
      const name = decodePathPart(match[1])
      const version = match[2] === undefined ? undefined : decodePathPart(match[2])
      const model = registry.get(name, version)
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
      if (action === '/predict') return this.predictRoute(req, body, model)
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
            // Looked up again: the model may have been reloaded while the body was decoded (see model-registry.ts).
            const current = registry.get(name, version)
            const outputs = await current.infer(request.inputs, request.outputs)
            return {status: 200, ...encodeInferResponse(current, request, outputs)}
          },
        }
      }
      return {
        endpoint: 'model_metadata',
        model: model.name,
        handle: async () => json(200, model.metadata(registry.versions(model.name))),
      }
    }
    return {endpoint: 'unknown', model: '', handle: async () => notFound(req)}
  }
}

/** Resolves after the event loop has polled its sockets (and its listening socket) once more. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

function notFound(req: IncomingMessage): Reply {
  return {
    status: 404,
    body: JSON.stringify({
      error: `no route ${req.method} ${quote(req.url ?? '')}; see /v2, /v2/models/NAME, /v2/models/NAME/infer, /v2/models/NAME/predict, /predict, /metrics, /v2/repository/index`,
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

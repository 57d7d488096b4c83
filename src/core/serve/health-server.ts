/**
 * Liveness and readiness over plain HTTP on a port of their own (--health-port), for probes that cannot speak
 * the main port's protocol: with mutual TLS a Kubernetes httpGet probe, which cannot present a client
 * certificate, would be refused. It answers these two routes only, so it exposes neither models nor metrics.
 */
import {createServer, type Server} from 'node:http'

export function createHealthServer(isReady: () => boolean): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0].replace(/\/+$/, '')
    let status = 200
    let body: object = {live: true}
    if (path === '/v2/health/ready') {
      status = isReady() ? 200 : 503
      body = {ready: status === 200}
    } else if (path !== '/v2/health/live') {
      status = 404
      body = {error: 'this port answers only GET /v2/health/live and /v2/health/ready'}
    }
    const text = JSON.stringify(body)
    res.writeHead(status, {'content-type': 'application/json', 'content-length': Buffer.byteLength(text)})
    res.end(text)
  })
}

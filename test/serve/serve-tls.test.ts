/**
 * `mlctl serve` over TLS and mutual TLS, end to end: certificates made at run time by a throwaway CA
 * (test-certificates.ts), real HTTPS (node:https) and gRPC (@grpc/grpc-js) clients, and SIGHUP reloads.
 */
import {credentials, status} from '@grpc/grpc-js'
import {spawn} from 'node:child_process'
import {X509Certificate} from 'node:crypto'
import {copyFileSync, mkdtempSync, readFileSync} from 'node:fs'
import {request as httpsRequest, Agent} from 'node:https'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {connect, type TLSSocket} from 'node:tls'
import {beforeAll, describe, expect, it} from 'vitest'

import {FIXTURES, grpcClients, startServe, type ServeProcess} from './serve-process.js'
import {TestCertificateAuthority, type CertificateFiles} from './test-certificates.js'

const LENET = `${FIXTURES}/lenet.onnx`
const PIXELS = Array.from({length: 784}, (_, i) => (i % 17) / 17)

interface ClientTls {
  ca: Buffer
  /** a client certificate and its key, for mutual TLS */
  identity?: CertificateFiles
  agent?: Agent
}

interface HttpsReply {
  status: number
  json: any
  /** serial number of the certificate the server presented on this connection */
  serial: string
  socket: TLSSocket
}

function https(url: string, tls: ClientTls, body?: unknown): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: body === undefined ? 'GET' : 'POST',
        ca: tls.ca,
        cert: tls.identity && readFileSync(tls.identity.cert),
        key: tls.identity && readFileSync(tls.identity.key),
        agent: tls.agent ?? false,
      },
      (res) => {
        // Taken now: a kept-alive socket goes back to its agent once the response has been read.
        const socket = res.socket as TLSSocket
        const serial = socket.getPeerCertificate().serialNumber
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (text += chunk))
        res.on('end', () => resolve({status: res.statusCode!, json: JSON.parse(text), serial, socket}))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(body === undefined ? undefined : JSON.stringify(body))
  })
}

/** The address by the name in the certificate: grpc-js would otherwise send the IP address as the TLS server name. */
function byName(address: string): string {
  return address.replace('127.0.0.1', 'localhost')
}

/** The serial number of the certificate a new TLS connection to a gRPC port is given. */
function grpcCertificateSerial(address: string, ca: Buffer): Promise<string> {
  const url = new URL(`https://${address}`)
  return new Promise((resolve, reject) => {
    const socket = connect(
      {host: url.hostname, servername: 'localhost', port: Number(url.port), ca, ALPNProtocols: ['h2']},
      () => {
        resolve(socket.getPeerCertificate().serialNumber)
        socket.destroy()
      },
    )
    socket.on('error', reject)
  })
}

function serialOf(certFile: string): string {
  return new X509Certificate(readFileSync(certFile)).serialNumber
}

const INFER_JSON = {inputs: [{name: 'input', shape: [1, 1, 28, 28], datatype: 'FP32', data: PIXELS}]}
const INFER_GRPC = {
  model_name: 'lenet',
  inputs: [{name: 'input', datatype: 'FP32', shape: [1, 1, 28, 28], contents: {fp32_contents: PIXELS}}],
}

async function waitForOutput(server: ServeProcess, text: string, count = 1): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (server.output().split(text).length - 1 >= count) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`serve never printed ${count}× "${text}":\n${server.output()}`)
}

/** Runs `mlctl serve` to its end: for start-up errors. */
function runServe(args: string[]): Promise<{status: number | null; stderr: string}> {
  const child = spawn('node', ['bin/run.js', 'serve', LENET, '--port', '0', '--grpc-port', '0', ...args])
  let stderr = ''
  child.stderr.on('data', (chunk) => (stderr += chunk))
  return new Promise((resolve) => child.once('close', (code) => resolve({status: code, stderr})))
}

let ca: TestCertificateAuthority
let server1: CertificateFiles
let server2: CertificateFiles
let caPem: Buffer

beforeAll(() => {
  ca = new TestCertificateAuthority()
  caPem = readFileSync(ca.cert)
  server1 = ca.issue('localhost')
  server2 = ca.issue('localhost')
})

describe('mlctl serve --tls-cert --tls-key', () => {
  it('serves HTTPS and gRPC over TLS that a client trusting the CA can use, and the same answers on both', async () => {
    const server = await startServe([LENET, '--tls-cert', server1.cert, '--tls-key', server1.key])
    try {
      expect(server.httpUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
      expect(server.output()).toContain(`TLS   CN=localhost, serial ${serialOf(server1.cert)}, valid until `)
      const http = await https(`${server.httpUrl}/v2/models/lenet/infer`, {ca: caPem}, INFER_JSON)
      expect(http.status).toBe(200)
      expect(http.serial).toBe(serialOf(server1.cert))
      const grpc = grpcClients(byName(server.grpcAddress), credentials.createSsl(caPem))
      const reply = await grpc.call('ModelInfer', INFER_GRPC)
      expect(reply.outputs[0].contents.fp32_contents).toEqual(http.json.outputs[0].data)
      expect(await grpc.health()).toEqual({status: 'SERVING'})
      grpc.close()
      // A client that does not trust the CA refuses the server.
      const untrusted = await https(`${server.httpUrl}/v2/health/live`, {ca: readFileSync(server1.cert)}).catch(
        (err: Error & {code?: string}) => err.code,
      )
      expect(untrusted).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/)
    } finally {
      expect(await server.stop()).toBe(0)
    }
  })
})

describe('mlctl serve --tls-client-ca (mutual TLS)', () => {
  let server: ServeProcess
  let client: CertificateFiles
  let healthUrl: string

  beforeAll(async () => {
    client = ca.issue('client', {client: true})
    server = await startServe([
      LENET,
      ...['--tls-cert', server1.cert, '--tls-key', server1.key, '--tls-client-ca', ca.cert, '--health-port', '0'],
    ])
    healthUrl = /Health {2}(http:\/\/\S+)/.exec(server.output())![1]
    return async () => {
      expect(await server.stop()).toBe(0)
    }
  })

  it('answers HTTPS only a client presenting a certificate signed by the client CA', async () => {
    const withCertificate = await https(
      `${server.httpUrl}/v2/models/lenet/infer`,
      {ca: caPem, identity: client},
      INFER_JSON,
    )
    expect(withCertificate.status).toBe(200)
    expect(withCertificate.json.outputs[0].shape).toEqual([1, 10])
    const without = await https(`${server.httpUrl}/v2/health/live`, {ca: caPem}).catch((err: Error) => err.message)
    // TLS 1.3 refuses after the client's handshake: the client reads the alert, or just the connection closing.
    expect(without).toMatch(/certificate required|socket hang up|ECONNRESET/)
    const otherCa = new TestCertificateAuthority('another CA')
    const stranger = otherCa.issue('client', {client: true})
    const foreign = await https(`${server.httpUrl}/v2/health/live`, {ca: caPem, identity: stranger}).catch(
      (err: Error) => err.message,
    )
    expect(foreign).toMatch(/unknown ca|socket hang up|ECONNRESET/)
  })

  it('answers gRPC only a client presenting a certificate signed by the client CA', async () => {
    const identity = credentials.createSsl(caPem, readFileSync(client.key), readFileSync(client.cert))
    const trusted = grpcClients(byName(server.grpcAddress), identity)
    const reply = await trusted.call('ModelInfer', INFER_GRPC)
    expect(reply.outputs[0].contents.fp32_contents).toHaveLength(10)
    trusted.close()
    const anonymous = grpcClients(byName(server.grpcAddress), credentials.createSsl(caPem))
    const refused = await anonymous.call('ModelInfer', INFER_GRPC).catch((err: {code: number}) => err.code)
    expect(refused).toBe(status.UNAVAILABLE)
    anonymous.close()
  })

  it('answers liveness and readiness, and nothing else, over plain HTTP on --health-port', async () => {
    expect(healthUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(server.output()).toContain('client certificates required, signed by')
    const live = await fetch(`${healthUrl}/v2/health/live`)
    expect([live.status, await live.json()]).toEqual([200, {live: true}])
    const ready = await fetch(`${healthUrl}/v2/health/ready`)
    expect([ready.status, await ready.json()]).toEqual([200, {ready: true}])
    expect((await fetch(`${healthUrl}/v2/models/lenet`)).status).toBe(404)
    expect((await fetch(`${healthUrl}/metrics`)).status).toBe(404)
  })
})

describe('mlctl serve TLS reload on SIGHUP', () => {
  it('serves a new certificate on new connections, keeps open ones, and keeps the old one when the new files are bad', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlctl-tls-reload-'))
    const files = {cert: join(dir, 'server.pem'), key: join(dir, 'server.key')}
    const install = (from: CertificateFiles) => {
      copyFileSync(from.cert, files.cert)
      copyFileSync(from.key, files.key)
    }
    install(server1)
    const server = await startServe([LENET, '--tls-cert', files.cert, '--tls-key', files.key])
    const agent = new Agent({keepAlive: true, maxSockets: 1})
    try {
      const before = await https(`${server.httpUrl}/v2/models/lenet/infer`, {ca: caPem, agent}, INFER_JSON)
      expect(before.serial).toBe(serialOf(server1.cert))
      const grpc = grpcClients(byName(server.grpcAddress), credentials.createSsl(caPem))
      expect(await grpc.health()).toEqual({status: 'SERVING'})

      install(server2)
      server.child.kill('SIGHUP')
      await waitForOutput(server, 'TLS files reloaded: serving CN=localhost, serial')
      // The kept-alive connection carries on, on the same socket and with the certificate it started with.
      const kept = await https(`${server.httpUrl}/v2/models/lenet/infer`, {ca: caPem, agent}, INFER_JSON)
      expect([kept.status, kept.serial]).toEqual([200, serialOf(server1.cert)])
      expect(kept.socket).toBe(before.socket)
      expect((await grpc.call('ModelInfer', INFER_GRPC)).outputs[0].contents.fp32_contents).toEqual(
        kept.json.outputs[0].data,
      )
      grpc.close()
      // New connections get the new certificate.
      expect((await https(`${server.httpUrl}/v2/health/live`, {ca: caPem})).serial).toBe(serialOf(server2.cert))
      expect(await grpcCertificateSerial(server.grpcAddress, caPem)).toBe(serialOf(server2.cert))

      // An expired certificate, then a key that does not match: each is reported, and the last good one stays.
      install(ca.issue('localhost', {startDate: '20200101000000Z', endDate: '20200102000000Z'}))
      server.child.kill('SIGHUP')
      await waitForOutput(server, 'TLS files not reloaded, still serving the previous certificate: the certificate')
      copyFileSync(server1.cert, files.cert)
      copyFileSync(server2.key, files.key)
      server.child.kill('SIGHUP')
      await waitForOutput(server, `the private key ${files.key} does not match the certificate ${files.cert}`)
      expect(server.output()).toMatch(
        /still serving the previous certificate: the certificate \S+ expired on 2020-01-02/,
      )
      expect((await https(`${server.httpUrl}/v2/health/live`, {ca: caPem})).serial).toBe(serialOf(server2.cert))
      expect(await grpcCertificateSerial(server.grpcAddress, caPem)).toBe(serialOf(server2.cert))
    } finally {
      agent.destroy()
      expect(await server.stop()).toBe(0)
    }
  })

  it('reaches every server process with --processes 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlctl-tls-reload-'))
    const files = {cert: join(dir, 'server.pem'), key: join(dir, 'server.key')}
    copyFileSync(server1.cert, files.cert)
    copyFileSync(server1.key, files.key)
    const server = await startServe([LENET, '--processes', '2', '--tls-cert', files.cert, '--tls-key', files.key])
    try {
      copyFileSync(server2.cert, files.cert)
      copyFileSync(server2.key, files.key)
      server.child.kill('SIGHUP')
      await waitForOutput(server, 'TLS files reloaded', 2)
      for (let i = 0; i < 6; i++) {
        expect((await https(`${server.httpUrl}/v2/health/live`, {ca: caPem})).serial).toBe(serialOf(server2.cert))
      }
    } finally {
      expect(await server.stop()).toBe(0)
    }
  })
})

describe('mlctl serve TLS start-up errors', () => {
  it('names each problem with the TLS files in one line and exits 1, or 2 for a flag missing its partner', async () => {
    const expired = ca.issue('localhost', {startDate: '20200101000000Z', endDate: '20200102000000Z'})
    const future = ca.issue('localhost', {startDate: '20990101000000Z', endDate: '20990102000000Z'})
    const cases: Array<[string[], number, RegExp]> = [
      [['--tls-cert', join(ca.dir, 'none.pem'), '--tls-key', server1.key], 1, /--tls-cert \S+none\.pem: no such file/],
      [['--tls-cert', LENET, '--tls-key', server1.key], 1, /--tls-cert \S+lenet\.onnx is not a PEM certificate/],
      [['--tls-cert', server1.cert, '--tls-key', server1.cert], 1, /are --tls-cert and --tls-key swapped\?/],
      [['--tls-cert', server1.cert, '--tls-key', server2.key], 1, /the private key \S+ does not match the certificate/],
      [['--tls-cert', expired.cert, '--tls-key', expired.key], 1, /the certificate \S+ expired on 2020-01-02T00:00:00/],
      [
        ['--tls-cert', future.cert, '--tls-key', future.key],
        1,
        /the certificate \S+ is not valid yet \(valid from 2099/,
      ],
      [
        ['--tls-cert', server1.cert, '--tls-key', server1.key, '--tls-client-ca', join(ca.dir, 'none.pem')],
        1,
        /--tls-client-ca \S+none\.pem: no such file/,
      ],
      [
        ['--tls-cert', server1.cert, '--tls-key', server1.key, '--tls-client-ca', server1.key],
        1,
        /--tls-client-ca \S+ is not a PEM certificate/,
      ],
      [['--tls-key', server1.key], 2, /--tls-cert/],
      [['--tls-client-ca', ca.cert], 2, /--tls-cert/],
    ]
    const results = await Promise.all(cases.map(([args]) => runServe(args)))
    results.forEach((result, i) => {
      const [, code, message] = cases[i]
      expect({status: result.status, stderr: result.stderr}).toMatchObject({
        status: code,
        stderr: expect.stringMatching(message),
      })
      if (code === 1) expect(result.stderr.trim().split('\n')).toHaveLength(1)
    })
  })
})

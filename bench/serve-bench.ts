/**
 * `npm run bench:serve`: throughput and latency of `mlctl serve` with the LeNet fixture, load generated from
 * separate processes on loopback.
 *
 *   HTTP/JSON  wrk (apt-get install wrk), or a Node keep-alive client when wrk is missing
 *   HTTP/binary  wrk with the binary tensor data extension (raw float32 after a small JSON header)
 *   gRPC       a @grpc/grpc-js client (raw_input_contents), and h2load (apt-get install nghttp2-client) when
 *              present: the grpc-js client costs more CPU per call than the server, so on 2 cores it, not the
 *              server, sets the ceiling; h2load shows what the server itself sustains.
 *
 * Single-image and 64-image requests at concurrency 1, 16, 64, 256; each 64-image row is compared with
 * in-process onnxruntime at batch 64 measured just before it; then a soak run at c=256 counts failures. Last,
 * HTTP/JSON at c=64 against a second server that parses bodies on its request-handling thread
 * (--decode-threads 0), interleaved, as the peer of the decoder thread; and what parsing a JSON image costs next
 * to inferring it, in this process. Then the
 * default server against one started with NODE_OPTIONS=--v8-pool-size=1 (V8's garbage-collection helper threads),
 * interleaved, at c=64: gRPC and HTTP/JSON single images, HTTP binary 64 images.
 * Server CPU per request comes from /proc, so it stays meaningful when other work shares the machine; a probe
 * of GET /v2/health/live every 100 ms during each run shows whether the event loop stays responsive.
 *
 * usage: npx tsx bench/serve-bench.ts [--seconds 5] [--soak-seconds 60] [--concurrency 1,16,64,256]
 *        [--processes 1] [--decoder-rounds 3] [--pool-rounds 3]
 */
import {credentials, Client, Metadata, type ServiceError} from '@grpc/grpc-js'
import {execFile, spawnSync, type ChildProcess} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {request as httpRequest, Agent} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'
import ort from 'onnxruntime-node'
import protobuf from 'protobufjs'

import {PROTO_DIR} from '../src/core/serve/grpc-protos.js'
import {parseJsonBody} from '../src/core/serve/json-body-parser.js'
import {type RunningServer, startServer} from './serve-process.js'
import {type LoadResult, wrkLoad} from './wrk-load.js'
import {median} from './median.js'

const MODEL = 'test/fixtures/serve/lenet.onnx'
const run = promisify(execFile)
const IMAGE = 784

/** Request body files for one request size: JSON, gRPC protobuf, and HTTP binary tensor data. */
interface Bodies {
  json: string
  grpc: string
  binary: string
  binaryJsonLength: number
}

interface Row extends LoadResult {
  client: string
  images: number
  concurrency: number
  meanBatch: number
  serverMicrosPerRequest: number
  serverCores: number
  /** worst GET /v2/health/live latency while under this load: is the event loop still responsive? */
  liveMaxMs: number
  /** 64-image rows: in-process onnxruntime img/s at batch 64, measured just before this row */
  baseline?: number
}

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`)
  return index >= 0 ? process.argv[index + 1] : fallback
}

function has(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

function randomImages(count: number): Float32Array {
  return Float32Array.from({length: count * IMAGE}, () => Math.random())
}

function jsonBody(count: number): string {
  return JSON.stringify({
    inputs: [{name: 'input', shape: [count, 1, 28, 28], datatype: 'FP32', data: Array.from(randomImages(count))}],
  })
}

/** The binary tensor data extension: JSON header, then the raw float32 bytes; and the header's length. */
function binaryHttpBody(count: number): {body: Buffer; jsonLength: number} {
  const data = randomImages(count)
  const header = Buffer.from(
    JSON.stringify({
      inputs: [
        {name: 'input', shape: [count, 1, 28, 28], datatype: 'FP32', parameters: {binary_data_size: data.byteLength}},
      ],
      parameters: {binary_data_output: true},
    }),
  )
  return {body: Buffer.concat([header, Buffer.from(data.buffer)]), jsonLength: header.length}
}

function grpcBody(count: number): Buffer {
  const root = new protobuf.Root().loadSync(join(PROTO_DIR, 'grpc_predict_v2.proto'), {keepCase: true})
  const type = root.lookupType('inference.ModelInferRequest')
  const message = type.fromObject({
    model_name: 'lenet',
    inputs: [{name: 'input', datatype: 'FP32', shape: [count, 1, 28, 28]}],
    raw_input_contents: [Buffer.from(randomImages(count).buffer)],
  })
  return Buffer.from(type.encode(message).finish())
}

/** utime + stime of a process, all its threads and its server processes (children), in seconds. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(Boolean)
  return (
    (Number(fields[11]) + Number(fields[12])) / 100 +
    children.reduce((sum, child) => sum + cpuSeconds(Number(child)), 0)
  )
}

async function batchStats(http: string): Promise<{sum: number; count: number; failed: number}> {
  // A kept-alive connection may be closed by the server just as it is reused: ask again once.
  const text = await fetch(`${http}/metrics`)
    .catch(() => fetch(`${http}/metrics`))
    .then((response) => response.text())
  const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0)
  let failed = 0
  for (const match of text.matchAll(
    /^mlctl_requests_total\{protocol="\w+",endpoint="infer",model="[^"]*",status="(\w+)"\} (\S+)$/gm,
  )) {
    if (match[1] !== '200' && match[1] !== 'OK') failed += Number(match[2])
  }
  return {
    sum: value(/^mlctl_batch_size_sum\{model="lenet"\} (\S+)$/m),
    count: value(/^mlctl_batch_size_count\{model="lenet"\} (\S+)$/m),
    failed,
  }
}

// ---- load generators (each runs in its own process: `tsx bench/serve-bench.ts --load KIND ...`) ----

async function nodeHttpLoad(url: string, bodyFile: string, concurrency: number, seconds: number): Promise<LoadResult> {
  const body = readFileSync(bodyFile)
  const agent = new Agent({keepAlive: true, maxSockets: concurrency})
  const latencies: number[] = []
  let failures = 0
  const end = performance.now() + seconds * 1000
  const one = () =>
    new Promise<void>((resolve) => {
      const started = performance.now()
      const req = httpRequest(
        url,
        {method: 'POST', agent, headers: {'content-type': 'application/json', 'content-length': body.length}},
        (res) => {
          res.resume()
          res.on('end', () => {
            if (res.statusCode === 200) latencies.push(performance.now() - started)
            else failures++
            resolve()
          })
        },
      )
      req.on('error', () => {
        failures++
        resolve()
      })
      req.end(body)
    })
  await Promise.all(
    Array.from({length: concurrency}, async () => {
      while (performance.now() < end) await one()
    }),
  )
  agent.destroy()
  const sorted = Float64Array.from(latencies).sort()
  return {requests: latencies.length, failures, seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99)}
}

async function grpcJsLoad(
  address: string,
  bodyFile: string,
  concurrency: number,
  seconds: number,
): Promise<LoadResult> {
  const body = readFileSync(bodyFile)
  // A few channels: one HTTP/2 connection per channel, as a pool of clients would have.
  const clients = Array.from(
    {length: Math.min(concurrency, 4)},
    (_, i) => new Client(address, credentials.createInsecure(), {'grpc.channel_id': i}),
  )
  const latencies: number[] = []
  let failures = 0
  const end = performance.now() + seconds * 1000
  const identity = (bytes: Buffer) => bytes
  await Promise.all(
    Array.from({length: concurrency}, async (_, worker) => {
      const client = clients[worker % clients.length]
      while (performance.now() < end) {
        const started = performance.now()
        const error = await new Promise<ServiceError | null>((resolve) =>
          client.makeUnaryRequest(
            '/inference.GRPCInferenceService/ModelInfer',
            identity,
            identity,
            body,
            new Metadata(),
            (err) => resolve(err),
          ),
        )
        if (error) failures++
        else latencies.push(performance.now() - started)
      }
    }),
  )
  for (const client of clients) client.close()
  const sorted = Float64Array.from(latencies).sort()
  return {requests: latencies.length, failures, seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99)}
}

async function runLoadProcess(
  kind: string,
  target: string,
  bodyFile: string,
  concurrency: number,
  seconds: number,
): Promise<LoadResult> {
  const {stdout} = await run('npx', [
    'tsx',
    'bench/serve-bench.ts',
    '--load',
    kind,
    target,
    bodyFile,
    String(concurrency),
    String(seconds),
  ])
  return JSON.parse(stdout.trim().split('\n').pop()!)
}

async function h2loadLoad(
  address: string,
  bodyFile: string,
  concurrency: number,
  seconds: number,
): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'mlctl-h2load-'))
  // h2load sends the body as is: a gRPC message frame (uncompressed flag + length + protobuf).
  const message = readFileSync(bodyFile)
  const frame = Buffer.alloc(5 + message.length)
  frame.writeUInt32BE(message.length, 1)
  message.copy(frame, 5)
  writeFileSync(join(dir, 'body'), frame)
  const connections = Math.min(concurrency, 4)
  const log = join(dir, 'log')
  await run('h2load', [
    '-D',
    String(seconds),
    '-c',
    String(connections),
    '-m',
    String(Math.ceil(concurrency / connections)),
    '-d',
    join(dir, 'body'),
    '-H',
    'content-type: application/grpc',
    '-H',
    'te: trailers',
    '--log-file',
    log,
    `http://${address}/inference.GRPCInferenceService/ModelInfer`,
  ])
  // log lines: start time (µs), HTTP status, response time (µs)
  const lines = readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split('\t').map(Number))
  const ok = lines.filter((fields) => fields[1] === 200)
  const sorted = Float64Array.from(ok, (fields) => fields[2] / 1000).sort()
  return {
    requests: ok.length,
    failures: lines.length - ok.length,
    seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
  }
}

// ---- in-process baseline ----

async function inProcessImagesPerSecond(batch: number, seconds: number): Promise<number> {
  const session = await ort.InferenceSession.create(MODEL, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  })
  const input = new ort.Tensor('float32', randomImages(batch), [batch, 1, 28, 28])
  for (let i = 0; i < 5; i++) await session.run({input})
  let images = 0
  const started = performance.now()
  while (performance.now() - started < seconds * 1000) {
    await session.run({input})
    images += batch
  }
  const rate = images / ((performance.now() - started) / 1000)
  await session.release()
  return rate
}

// ---- orchestration ----

async function measure(
  server: {child: ChildProcess; http: string},
  client: string,
  images: number,
  concurrency: number,
  load: () => Promise<LoadResult>,
): Promise<Row> {
  const before = await batchStats(server.http)
  const cpuBefore = cpuSeconds(server.child.pid!)
  let loading = true
  const pending = load().finally(() => (loading = false))
  let liveMaxMs = 0
  await new Promise((resolve) => setTimeout(resolve, 500))
  while (loading) {
    const started = performance.now()
    await fetch(`${server.http}/v2/health/live`)
      .then((response) => response.text())
      .catch(() => undefined)
    if (loading) liveMaxMs = Math.max(liveMaxMs, performance.now() - started)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const result = await pending
  const cpu = cpuSeconds(server.child.pid!) - cpuBefore
  const after = await batchStats(server.http)
  const failures = result.failures + (after.failed - before.failed)
  const row = {
    ...result,
    failures,
    client,
    images,
    concurrency,
    meanBatch: (after.sum - before.sum) / Math.max(1, after.count - before.count),
    serverMicrosPerRequest: (cpu / Math.max(1, result.requests)) * 1e6,
    serverCores: cpu / result.seconds,
    liveMaxMs,
  }
  const rate = row.requests / row.seconds
  console.error(
    `${client.padEnd(12)} ${String(images).padStart(2)} img c=${String(concurrency).padEnd(3)} ${rate.toFixed(0).padStart(6)} req/s ` +
      `${(rate * images).toFixed(0).padStart(6)} img/s p50 ${row.p50.toFixed(2)} ms p99 ${row.p99.toFixed(2)} ms ` +
      `fail ${failures} batch ${row.meanBatch.toFixed(1)} server ${row.serverMicrosPerRequest.toFixed(0)} µs/req ${row.serverCores.toFixed(2)} cores ` +
      `live max ${liveMaxMs.toFixed(1)} ms`,
  )
  return row
}

async function main(): Promise<void> {
  const seconds = Number(option('seconds', '5'))
  const soakSeconds = Number(option('soak-seconds', '60'))
  const concurrencies = option('concurrency', '1,16,64,256').split(',').map(Number)
  const processes = option('processes', '1')
  const dir = mkdtempSync(join(tmpdir(), 'mlctl-serve-bench-'))
  const bodies: Record<number, Bodies> = {}
  for (const images of [1, 64]) {
    const binary = binaryHttpBody(images)
    bodies[images] = {
      json: join(dir, `body-${images}.json`),
      grpc: join(dir, `body-${images}.pb`),
      binary: join(dir, `body-${images}.bin`),
      binaryJsonLength: binary.jsonLength,
    }
    writeFileSync(bodies[images].json, jsonBody(images))
    writeFileSync(bodies[images].grpc, grpcBody(images))
    writeFileSync(bodies[images].binary, binary.body)
  }
  const server = await startServer([MODEL, '--processes', processes])
  const httpUrl = `${server.http}/v2/models/lenet/infer`
  const rows: Row[] = []
  const json = {'Content-Type': 'application/json'}
  const clients: Array<[string, (body: Bodies, c: number, s: number) => Promise<LoadResult>]> = [
    [
      'http-wrk',
      (body, c, s) =>
        has('wrk') ? wrkLoad(httpUrl, body.json, c, s, json) : runLoadProcess('http', httpUrl, body.json, c, s),
    ],
    ['grpc-grpcjs', (body, c, s) => runLoadProcess('grpc', server.grpc, body.grpc, c, s)],
  ]
  if (has('h2load')) clients.push(['grpc-h2load', (body, c, s) => h2loadLoad(server.grpc, body.grpc, c, s)])
  if (has('wrk')) {
    clients.push([
      'http-wrk-bin',
      (body, c, s) => wrkLoad(httpUrl, body.binary, c, s, {'Inference-Header-Content-Length': body.binaryJsonLength}),
    ])
  } else {
    clients[0][0] = 'http-node'
  }
  try {
    for (const images of [1, 64]) {
      for (const [client, load] of clients) {
        for (const concurrency of concurrencies) {
          // The peer of a 64-image row is measured just before it: this machine's speed drifts by 20% and more
          // within minutes, so one baseline for all rows made their ratios swing with it.
          const baseline = images === 64 ? await inProcessImagesPerSecond(64, 2) : undefined
          rows.push({
            ...(await measure(server, client, images, concurrency, () => load(bodies[images], concurrency, seconds))),
            baseline,
          })
        }
      }
    }
    if (soakSeconds > 0) {
      for (const [client, load] of [clients[0], clients.find(([name]) => name === 'grpc-h2load') ?? clients[1]]) {
        rows.push(await measure(server, `${client} soak`, 1, 256, () => load(bodies[1], 256, soakSeconds)))
      }
    }
  } finally {
    await stopServer(server.child)
  }
  const baseline = median(rows.flatMap((row) => (row.baseline === undefined ? [] : [row.baseline])))
  printTable(rows, baseline, processes)
  const decoderRounds = Number(option('decoder-rounds', '3'))
  if (decoderRounds > 0 && has('wrk')) await compareDecoding(bodies, seconds, decoderRounds, baseline)
  const poolRounds = Number(option('pool-rounds', '3'))
  if (poolRounds > 0 && has('wrk') && has('h2load')) await comparePoolSize(bodies, seconds, poolRounds)
}

async function stopServer(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

/**
 * Each load against each server in turn, `rounds` times, so that the machine's drift falls on all of them alike.
 * Returns the runs keyed by server and load name.
 */
async function interleaved(
  servers: Record<string, RunningServer>,
  loads: Record<string, (server: RunningServer) => Promise<LoadResult>>,
  rounds: number,
): Promise<(server: string, load: string) => LoadResult[]> {
  const results = new Map<string, LoadResult[]>()
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [loadName, load] of Object.entries(loads)) {
        for (const [name, server] of Object.entries(servers)) {
          const result = await load(server)
          const key = `${name}|${loadName}`
          results.set(key, [...(results.get(key) ?? []), result])
          console.error(
            `${name.padEnd(20)} ${loadName.padEnd(14)} ${(result.requests / result.seconds).toFixed(0).padStart(6)} req/s p99 ${result.p99.toFixed(2)} ms`,
          )
        }
      }
    }
  } finally {
    await Promise.all(Object.values(servers).map((server) => stopServer(server.child)))
  }
  return (server, load) => results.get(`${server}|${load}`)!
}

const medianRate = (runs: LoadResult[]) => median(runs.map((result) => result.requests / result.seconds))

/** Median p50 and p99, and all failures, as table cells. */
function peerStats(runs: LoadResult[]): string {
  const failures = runs.reduce((sum, result) => sum + result.failures, 0)
  return `${median(runs.map((r) => r.p50)).toFixed(2)} | ${median(runs.map((r) => r.p99)).toFixed(2)} | ${failures}`
}

/**
 * V8 runs garbage collection helpers on a pool of 4 threads by default; on 2 cores they compete with the
 * request thread, the inference thread and the load generator. NODE_OPTIONS=--v8-pool-size=1 is the peer.
 */
async function comparePoolSize(bodies: Record<number, Bodies>, seconds: number, rounds: number): Promise<void> {
  const servers = {
    'default (4)': await startServer([MODEL]),
    '--v8-pool-size=1': await startServer([MODEL], {NODE_OPTIONS: '--v8-pool-size=1'}),
  }
  const loads = {
    'gRPC 1 img': (server: RunningServer) => h2loadLoad(server.grpc, bodies[1].grpc, 64, seconds),
    'HTTP/JSON 1 img': (server: RunningServer) =>
      wrkLoad(`${server.http}/v2/models/lenet/infer`, bodies[1].json, 64, seconds, {
        'Content-Type': 'application/json',
      }),
    'binary 64 img': (server: RunningServer) =>
      wrkLoad(`${server.http}/v2/models/lenet/infer`, bodies[64].binary, 64, seconds, {
        'Inference-Header-Content-Length': bodies[64].binaryJsonLength,
      }),
  }
  const runs = await interleaved(servers, loads, rounds)
  console.log(
    `\n## V8 helper threads at c=64: the default pool (4) vs NODE_OPTIONS=--v8-pool-size=1; medians of ${rounds} interleaved rounds\n`,
  )
  console.log('| V8 pool | load | req/s | p50 ms | p99 ms | failures | req/s vs default |')
  console.log('|---|---|---|---|---|---|---|')
  for (const load of Object.keys(loads)) {
    const rate = (name: string) => medianRate(runs(name, load))
    for (const name of Object.keys(servers)) {
      console.log(
        `| ${name} | ${load} | ${rate(name).toFixed(0)} | ${peerStats(runs(name, load))} | ${(rate(name) / rate('default (4)')).toFixed(2)}× |`,
      )
    }
  }
}

/**
 * HTTP/JSON at c=64 against two servers, interleaved: the default, which parses large bodies on a decoder thread,
 * and its peer with --decode-threads 0, which parses them on the request-handling thread. Then what parsing one
 * JSON image costs next to inferring it, both on one thread in this process.
 */
async function compareDecoding(
  bodies: Record<number, Bodies>,
  seconds: number,
  rounds: number,
  inferImagesPerSecond: number,
): Promise<void> {
  const servers = {
    'decoder thread': await startServer([MODEL]),
    'in place': await startServer([MODEL, '--decode-threads', '0']),
  }
  const jsonLoad = (images: number) => (server: RunningServer) =>
    wrkLoad(`${server.http}/v2/models/lenet/infer`, bodies[images].json, 64, seconds, {
      'Content-Type': 'application/json',
    })
  const runs = await interleaved(servers, {'1 img c=64': jsonLoad(1), '64 img c=64': jsonLoad(64)}, rounds)
  console.log(
    `\n## HTTP/JSON at c=64: bodies parsed on a decoder thread vs in place (--decode-threads 0); medians of ${rounds} interleaved rounds\n`,
  )
  console.log('| parsing | images/req | req/s | img/s | p50 ms | p99 ms | failures | req/s vs in place |')
  console.log('|---|---|---|---|---|---|---|---|')
  for (const images of [1, 64]) {
    const load = `${images} img c=64`
    const inPlace = medianRate(runs('in place', load))
    for (const name of Object.keys(servers)) {
      const rate = medianRate(runs(name, load))
      console.log(
        `| ${name} | ${images} | ${rate.toFixed(0)} | ${(rate * images).toFixed(0)} | ${peerStats(runs(name, load))} | ${(rate / inPlace).toFixed(2)}× |`,
      )
    }
  }
  const body = readFileSync(bodies[64].json)
  const times: number[] = []
  for (let i = 0; i < 40; i++) {
    const started = performance.now()
    parseJsonBody(body)
    times.push(performance.now() - started)
  }
  // The first runs are before the parser is compiled.
  const parseMicrosPerImage = (median(times.slice(10)) * 1000) / 64
  console.log(
    `\nParsing the 64-image JSON body (${(body.length / 1024).toFixed(0)} KB of 17-digit floats) costs ${parseMicrosPerImage.toFixed(1)} µs per image on one thread; ` +
      `inferring costs ${(1e6 / inferImagesPerSecond).toFixed(1)} µs per image (in-process onnxruntime, batch 64, one thread).`,
  )
}

function printTable(rows: Row[], baseline: number, processes: string): void {
  console.log(
    `\n## mlctl serve --processes ${processes}, LeNet (${MODEL}), loopback; in-process onnxruntime batch 64, 1 thread: median ${baseline.toFixed(0)} img/s\n`,
  )
  console.log(
    '| client | images/req | c | req/s | img/s | vs in-process b64 (measured just before) | p50 ms | p99 ms | failures | mean batch | server µs/req | server cores | live max ms |',
  )
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|')
  for (const row of rows) {
    const rate = row.requests / row.seconds
    console.log(
      `| ${row.client} | ${row.images} | ${row.concurrency} | ${rate.toFixed(0)} | ${(rate * row.images).toFixed(0)} | ` +
        `${row.baseline === undefined ? '' : `${((rate * 64 * 100) / row.baseline).toFixed(0)} % of ${row.baseline.toFixed(0)}`} | ${row.p50.toFixed(2)} | ${row.p99.toFixed(2)} | ` +
        `${row.failures} | ${row.meanBatch.toFixed(1)} | ${row.serverMicrosPerRequest.toFixed(0)} | ${row.serverCores.toFixed(2)} | ${row.liveMaxMs.toFixed(1)} |`,
    )
  }
}

if (process.argv[2] === '--load') {
  const [kind, target, bodyFile, concurrency, seconds] = process.argv.slice(3)
  const load = kind === 'http' ? nodeHttpLoad : grpcJsLoad
  console.log(JSON.stringify(await load(target, bodyFile, Number(concurrency), Number(seconds))))
} else {
  await main()
}

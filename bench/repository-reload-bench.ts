/**
 * `npm run bench:reload`: does reloading a model drop or slow requests? `mlctl serve --model-repository` with the
 * LeNet fixture as version 1 takes single-image HTTP/JSON inference requests at a steady concurrency from a
 * keep-alive Node client in this process (wrk cannot tell which requests overlapped a reload). After a steady
 * phase, a new version is added and loaded (POST /v2/repository/models/lenet/load) `--reloads` times, with
 * `--gap-seconds` of steady traffic between reloads; each reload loads and warms the new version, switches
 * traffic to it and releases the old one once its requests are answered.
 *
 * Reported: requests and failures (any status but 200, or a connection error) over the whole run; p50/p99 of the
 * requests that overlapped a reload (sent before its load request was answered and answered after it was sent)
 * against those of the steady phase; how long each load request took; which versions answered.
 *
 * usage: npx tsx bench/repository-reload-bench.ts [--concurrency 64] [--reloads 10] [--steady-seconds 5]
 *        [--gap-seconds 1]
 */
import {copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync} from 'node:fs'
import {Agent, request as httpRequest} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {startServer} from './serve-process.js'

const MODEL = 'test/fixtures/serve/lenet.onnx'
const IMAGE = 784

interface Sample {
  sent: number
  answered: number
  ok: boolean
  version: string
}

function option(name: string, fallback: string): number {
  const index = process.argv.indexOf(`--${name}`)
  return Number(index >= 0 ? process.argv[index + 1] : fallback)
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

function addVersion(repository: string, version: number): void {
  const folder = join(repository, 'lenet', String(version))
  mkdirSync(folder, {recursive: true})
  // As a deployment would: the file appears whole, under its final name.
  copyFileSync(MODEL, join(folder, 'model.onnx.tmp'))
  renameSync(join(folder, 'model.onnx.tmp'), join(folder, 'model.onnx'))
}

/** `concurrency` clients sending one request after another until `stop()`; every answer is kept as a sample. */
function startLoad(url: string, concurrency: number): {samples: Sample[]; stop(): Promise<void>} {
  const body = Buffer.from(
    JSON.stringify({
      inputs: [
        {
          name: 'input',
          shape: [1, 1, 28, 28],
          datatype: 'FP32',
          data: Array.from({length: IMAGE}, (_, i) => (i % 255) / 255),
        },
      ],
    }),
  )
  const agent = new Agent({keepAlive: true, maxSockets: concurrency})
  const samples: Sample[] = []
  let running = true
  const one = () =>
    new Promise<void>((resolve) => {
      const sent = performance.now()
      const done = (ok: boolean, version = '') => {
        samples.push({sent, answered: performance.now(), ok, version})
        resolve()
      }
      const req = httpRequest(
        url,
        {method: 'POST', agent, headers: {'content-type': 'application/json', 'content-length': body.length}},
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString()
            if (res.statusCode !== 200) console.error(`status ${res.statusCode}: ${text.slice(0, 200)}`)
            done(
              res.statusCode === 200,
              res.statusCode === 200 ? (JSON.parse(text) as {model_version: string}).model_version : '',
            )
          })
        },
      )
      req.on('error', (err) => {
        console.error(`request error: ${err.message}`)
        done(false)
      })
      req.end(body)
    })
  const clients = Array.from({length: concurrency}, async () => {
    while (running) await one()
  })
  return {
    samples,
    async stop() {
      running = false
      await Promise.all(clients)
      agent.destroy()
    },
  }
}

async function post(url: string): Promise<number> {
  const response = await fetch(url, {method: 'POST'})
  await response.text()
  return response.status
}

const sleep = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1000))

function latencies(samples: Sample[]): string {
  const sorted = samples.map((sample) => sample.answered - sample.sent).sort((a, b) => a - b)
  return `p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms (${sorted.length} requests)`
}

async function main(): Promise<void> {
  const concurrency = option('concurrency', '64')
  const reloads = option('reloads', '10')
  const steadySeconds = option('steady-seconds', '5')
  const gapSeconds = option('gap-seconds', '1')
  const repository = mkdtempSync(join(tmpdir(), 'mlctl-reload-bench-'))
  addVersion(repository, 1)
  const server = await startServer(['--model-repository', repository])
  console.log(`mlctl serve --model-repository, LeNet, HTTP/JSON single images at concurrency ${concurrency}`)

  const load = startLoad(`${server.http}/v2/models/lenet/infer`, concurrency)
  await sleep(1) // warm-up: connections opened, JIT settled; not counted
  const steadyFrom = performance.now()
  await sleep(steadySeconds)
  const steadyTo = performance.now()

  const windows: Array<{from: number; to: number}> = []
  for (let version = 2; version <= reloads + 1; version++) {
    addVersion(repository, version)
    const from = performance.now()
    const status = await post(`${server.http}/v2/repository/models/lenet/load`)
    windows.push({from, to: performance.now()})
    if (status !== 200) console.error(`load of version ${version} answered ${status}`)
    await sleep(gapSeconds)
  }
  await load.stop()
  const exited = new Promise((resolve) => server.child.once('exit', resolve))
  server.child.kill('SIGTERM')
  await exited
  rmSync(repository, {recursive: true, force: true})

  const {samples} = load
  const failed = samples.filter((sample) => !sample.ok).length
  const steady = samples.filter((sample) => sample.ok && sample.sent >= steadyFrom && sample.answered <= steadyTo)
  const duringReload = samples.filter(
    (sample) => sample.ok && windows.some((window) => sample.sent <= window.to && sample.answered >= window.from),
  )
  const loadMs = windows.map((window) => window.to - window.from).sort((a, b) => a - b)
  const byVersion = new Map<string, number>()
  for (const sample of samples) if (sample.ok) byVersion.set(sample.version, (byVersion.get(sample.version) ?? 0) + 1)

  console.log(`requests: ${samples.length}, failed: ${failed}, over ${reloads} reloads`)
  console.log(`steady state:   ${latencies(steady)}`)
  console.log(`during reloads: ${latencies(duringReload)}`)
  console.log(
    `load request (load + warm-up + switch): median ${percentile(loadMs, 50).toFixed(0)} ms, max ${loadMs.at(-1)!.toFixed(0)} ms`,
  )
  console.log(
    `answered by version: ${[...byVersion]
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([version, count]) => `${version}: ${count}`)
      .join(', ')}`,
  )
  if (failed > 0) process.exitCode = 1
}

await main()

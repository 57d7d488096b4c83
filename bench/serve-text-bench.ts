/**
 * `npm run bench:serve-text`: serving a text model short texts, with requests padded to their longest text
 * and batches to their longest request (this checkout) against every text padded to the model's sequence
 * length (a build of an earlier commit, `--before DIR`), interleaved round by round.
 *
 * The models are trained here on generated reviews with --max-length 256 (the longest default sequence, what
 * a corpus of long reviews such as IMDB gets) and served alone; wrk (apt-get install wrk) sends POST /predict
 * with one short text (4 to 16 words) per request, each connection cycling through 64 different texts, at
 * concurrency 16. Before timing, every text is predicted by both servers and the largest probability
 * difference is printed: padding must not change an answer. Besides req/s and latency (which other jobs on the
 * machine sway), each run reports the server's CPU time and the time inside onnxruntime per request, read from
 * /proc and the server's metrics, which hold up better under outside load.
 *
 * usage: npx tsx bench/serve-text-bench.ts --before DIR [--seconds 5] [--rounds 3] [--concurrency 16]
 *   DIR: a compiled checkout of the commit to compare with, e.g.
 *   git worktree add /tmp/before 28cc754 && (cd /tmp/before && npm ci && npx tsc)
 */
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {median} from './median.js'
import {type RunningServer, startServer} from './serve-process.js'
import {type LoadResult, wrkLoad} from './wrk-load.js'

const WORDS = ['great', 'awful', 'love', 'broke', 'the', 'product', 'was', 'really', 'delivery', 'quality', 'not']
const LONG = ['battery', 'charger', 'screen', 'colour', 'size', 'price', 'packaging', 'support', 'manual', 'fit']

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`)
  return index >= 0 ? process.argv[index + 1] : fallback
}

/** Seeded texts of `min` to `max` words. */
function texts(count: number, seed: number, min: number, max: number): string[] {
  let state = seed
  const next = (n: number) => ((state = (state * 1103515245 + 12345) % 2 ** 31), state % n)
  const vocabulary = [...WORDS, ...LONG]
  return Array.from({length: count}, () =>
    Array.from({length: min + next(max - min + 1)}, () => vocabulary[next(vocabulary.length)]).join(' '),
  )
}

function mlctl(args: string[]): void {
  const result = spawnSync('node', ['bin/run.js', ...args], {encoding: 'utf8'})
  if (result.status !== 0) throw new Error(`mlctl ${args.join(' ')} failed:\n${result.stderr}`)
}

async function predictAll(server: RunningServer, instances: string[]): Promise<number[][]> {
  const response = await fetch(`${server.http}/predict`, {
    method: 'POST',
    headers: {'content-type': 'application/json'},
    body: JSON.stringify({instances}),
  })
  const json = (await response.json()) as {predictions: Array<{probabilities: number[]}>}
  return json.predictions.map((p) => p.probabilities)
}

interface ServerCounters {
  rows: number
  runs: number
  /** seconds inside onnxruntime */
  inference: number
  /** the server process's CPU seconds (user + system, every thread) */
  cpu: number
}

/** Counters read before and after a run: their differences hold even when other jobs slow the machine. */
async function counters(server: RunningServer): Promise<ServerCounters> {
  const text = await (await fetch(`${server.http}/metrics`)).text()
  const value = (name: string) =>
    Number(new RegExp(`^mlctl_${name}\\{model="text"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0)
  const stat = readFileSync(`/proc/${server.child.pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return {
    rows: value('batch_size_sum'),
    runs: value('batch_size_count'),
    inference: value('inference_duration_seconds_sum'),
    cpu: (Number(stat[11]) + Number(stat[12])) / 100,
  }
}

async function main(): Promise<void> {
  const before = option('before', '')
  if (!before) throw new Error('pass --before DIR: a compiled checkout of the commit to compare with')
  const seconds = Number(option('seconds', '5'))
  const rounds = Number(option('rounds', '3'))
  const concurrency = Number(option('concurrency', '16'))
  const dir = mkdtempSync(join(tmpdir(), 'mlctl-serve-text-bench-'))
  const rows = texts(600, 1, 4, 40).map((text, i) => `"${text}",${i % 2 === 0 ? 'pos' : 'neg'}`)
  writeFileSync(join(dir, 'reviews.csv'), `review,label\n${rows.join('\n')}\n`)
  const short = texts(64, 2, 4, 16)
  const bodies = short.map((text, i) => {
    const file = join(dir, `body-${i}.json`)
    writeFileSync(file, JSON.stringify({instances: [text]}))
    return file
  })
  console.log(
    `serve-text bench: POST /predict, 1 short text (4-16 words) per request, c=${concurrency}, ${seconds} s per run, ${rounds} rounds interleaved; load average ${spawnSync('cat', ['/proc/loadavg']).stdout.toString().split(' ').slice(0, 3).join(' ')}`,
  )
  for (const model of ['bag', 'textcnn']) {
    const out = join(dir, model)
    mlctl([
      'train',
      '--data',
      join(dir, 'reviews.csv'),
      '--text-column',
      'review',
      '--target',
      'label',
      '--model',
      model,
      '--max-length',
      '256',
      '--epochs',
      '1',
      '--out',
      out,
    ])
    mlctl(['export-onnx', out])
    const args = ['--model', `text=${join(out, 'model.onnx')}`]
    const servers = {before: await startServer(args, {}, before), after: await startServer(args)}
    try {
      const [a, b] = [await predictAll(servers.before, short), await predictAll(servers.after, short)]
      let diff = 0
      a.forEach((row, i) => row.forEach((p, c) => (diff = Math.max(diff, Math.abs(p - b[i][c])))))
      const results: Record<string, LoadResult[]> = {before: [], after: []}
      const used: Record<string, Array<{batch: number; cpuMicros: number; inferenceMicros: number}>> = {
        before: [],
        after: [],
      }
      for (let round = 0; round < rounds; round++) {
        for (const side of ['before', 'after'] as const) {
          const start = await counters(servers[side])
          const result = await wrkLoad(`${servers[side].http}/predict`, bodies, concurrency, seconds, {
            'content-type': 'application/json',
          })
          const end = await counters(servers[side])
          results[side].push(result)
          const requests = Math.max(1, result.requests)
          used[side].push({
            batch: (end.rows - start.rows) / Math.max(1, end.runs - start.runs),
            cpuMicros: ((end.cpu - start.cpu) / requests) * 1e6,
            inferenceMicros: ((end.inference - start.inference) / requests) * 1e6,
          })
        }
      }
      const rate = (r: LoadResult) => r.requests / r.seconds
      const ratios = results.after.map((r, i) => rate(r) / rate(results.before[i]))
      for (const side of ['before', 'after'] as const) {
        const rs = results[side]
        const of = (key: 'batch' | 'cpuMicros' | 'inferenceMicros') => median(used[side].map((u) => u[key]))
        console.log(
          `${model.padEnd(8)} ${side === 'before' ? 'model length (before)' : 'longest in batch     '}  ${median(rs.map(rate)).toFixed(0)} req/s  p50 ${median(rs.map((r) => r.p50)).toFixed(1)} ms  p99 ${median(rs.map((r) => r.p99)).toFixed(1)} ms  mean batch ${of('batch').toFixed(1)}  server CPU ${of('cpuMicros').toFixed(0)} µs/req  onnxruntime ${of('inferenceMicros').toFixed(0)} µs/req  failures ${rs.reduce((sum, r) => sum + r.failures, 0)}  (req/s per round: ${rs.map((r) => rate(r).toFixed(0)).join(', ')})`,
        )
      }
      console.log(
        `${model.padEnd(8)} after/before req/s ${median(ratios).toFixed(2)}x (same-round ratios ${ratios.map((r) => r.toFixed(2)).join(', ')}); max |probability difference| ${diff.toExponential(2)}`,
      )
    } finally {
      for (const server of Object.values(servers)) server.child.kill('SIGTERM')
    }
  }
}

await main()

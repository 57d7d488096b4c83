/** HTTP load from wrk (apt-get install wrk): POST request bodies from files, for the serve benches. */
import {execFile} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'

const run = promisify(execFile)

export interface LoadResult {
  requests: number
  failures: number
  seconds: number
  p50: number
  p99: number
}

/** `bodyFiles`: one body, or several that each connection sends in turn (e.g. texts of different lengths). */
export async function wrkLoad(
  url: string,
  bodyFiles: string | string[],
  concurrency: number,
  seconds: number,
  headers: Record<string, string | number>,
): Promise<LoadResult> {
  const files = Array.isArray(bodyFiles) ? bodyFiles : [bodyFiles]
  const script = join(mkdtempSync(join(tmpdir(), 'mlctl-wrk-')), 'post.lua')
  const headerLines = Object.entries(headers).map(([name, value]) => `wrk.headers["${name}"] = "${value}"\n`)
  const read = (file: string) =>
    `(function() local f = io.open("${file}", "rb"); local b = f:read("*all"); f:close(); return b end)()`
  const lua =
    files.length === 1
      ? `wrk.method = "POST"\nwrk.body = ${read(files[0])}\n${headerLines.join('')}`
      : `wrk.method = "POST"\n${headerLines.join('')}local bodies = {${files.map(read).join(',\n')}}\nlocal next = 0\n` +
        `request = function()\n  next = next % #bodies + 1\n  return wrk.format(nil, nil, nil, bodies[next])\nend\n`
  writeFileSync(script, lua)
  const threads = concurrency >= 64 ? 2 : 1
  const {stdout: output} = await run('wrk', [
    `-t${threads}`,
    `-c${concurrency}`,
    `-d${seconds}s`,
    '--timeout',
    '10s',
    '--latency',
    '-s',
    script,
    url,
  ])
  const millis = (label: string) => {
    const match = new RegExp(`${label}\\s+([\\d.]+)(us|ms|s)`).exec(output)
    if (!match) return NaN
    return Number(match[1]) * ({us: 0.001, ms: 1, s: 1000} as Record<string, number>)[match[2]]
  }
  const requests = Number(/(\d+) requests in/.exec(output)![1])
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0)
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output)
  const failures = non2xx + (socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0)
  return {requests: requests - non2xx, failures, seconds, p50: millis('50%'), p99: millis('99%')}
}

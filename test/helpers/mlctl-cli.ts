import {spawn, spawnSync} from 'node:child_process'

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the built CLI (dist/ via bin/run.js) as a user would; `npm test` builds dist first. */
export function mlctl(args: string[], env: Record<string, string> = {}, timeout = 120_000): CliResult {
  const result = spawnSync('node', ['bin/run.js', ...args], {
    encoding: 'utf8',
    env: {...process.env, NO_COLOR: '1', ...env},
    timeout,
  })
  return {code: result.status, stdout: result.stdout, stderr: result.stderr}
}

/** Starts the CLI in the background, for tests that signal it or talk to it while it runs. */
export function startMlctl(args: string[], env: Record<string, string> = {}) {
  const child = spawn('node', ['bin/run.js', ...args], {env: {...process.env, NO_COLOR: '1', ...env}})
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const exited = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({code, stdout, stderr})))
  const waitForStderr = async (pattern: RegExp, timeoutMs = 60_000) => {
    const start = Date.now()
    while (!pattern.test(stderr)) {
      if (child.exitCode !== null || Date.now() - start > timeoutMs)
        throw new Error(`stderr never matched ${pattern}:\n${stderr}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  return {child, exited, waitForStderr}
}

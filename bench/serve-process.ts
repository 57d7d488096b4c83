import {spawn, type ChildProcess} from 'node:child_process'
import {join} from 'node:path'

export interface RunningServer {
  child: ChildProcess
  http: string
  grpc: string
}

/**
 * Starts `mlctl serve ARGS` from the compiled build (of this checkout, or of the one at `root`) and resolves
 * with its addresses once it prints "Ready.".
 */
export async function startServer(
  serveArgs: string[],
  env: Record<string, string> = {},
  root = '.',
): Promise<RunningServer> {
  const args = [join(root, 'bin/run.js'), 'serve', '--port', '0', '--grpc-port', '0', ...serveArgs]
  const child = spawn('node', args, {stdio: ['ignore', 'pipe', 'inherit'], env: {...process.env, ...env}})
  let output = ''
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk
      if (output.includes('Ready.')) resolve()
    })
    child.once('exit', () => reject(new Error(`server exited:\n${output}`)))
  })
  return {child, http: /HTTP {2}(\S+)/.exec(output)![1], grpc: /gRPC {2}(\S+)/.exec(output)![1]}
}

/** Test helpers: run the real `mlctl serve` in a child process and talk to it with real clients. */
import {credentials, Metadata, type ChannelCredentials, type Client, type ServiceError} from '@grpc/grpc-js'
import {spawn, type ChildProcess} from 'node:child_process'

import {loadGrpcServices} from '../../src/core/serve/grpc-protos.js'

export const FIXTURES = 'test/fixtures/serve'

export interface ServeProcess {
  httpUrl: string
  grpcAddress: string
  child: ChildProcess
  output(): string
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/** `command` is how mlctl is started: the repository's bin/run.js, or an installed `mlctl` executable. */
export function startServe(
  args: string[],
  env: Record<string, string> = {},
  command: string[] = ['node', 'bin/run.js'],
): Promise<ServeProcess> {
  const [program, ...programArgs] = command
  const child = spawn(program, [...programArgs, 'serve', ...args, '--port', '0', '--grpc-port', '0'], {
    env: {...process.env, ...env},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not get ready:\n${output}`)), 30_000)
    void exited.then(() => reject(new Error(`serve exited before it was ready:\n${output}`)))
    child.stdout.on('data', () => {
      if (!output.includes('Ready.')) return
      clearTimeout(timer)
      resolve({
        httpUrl: /HTTP {2}(https?:\/\/\S+)/.exec(output)![1],
        grpcAddress: /gRPC {2}(\S+)/.exec(output)![1],
        child,
        output: () => output,
        stop(signal = 'SIGTERM') {
          child.kill(signal)
          return exited
        },
      })
    })
  })
}

type Unary = (request: object, metadata?: Metadata) => Promise<any>

export interface GrpcClients {
  call(method: string, request: object, apiKey?: string): Promise<any>
  health(service?: string): Promise<any>
  raw: Client
  close(): void
}

export function grpcClients(address: string, channel: ChannelCredentials = credentials.createInsecure()): GrpcClients {
  const services = loadGrpcServices()
  const inference = new services.inference(address, channel)
  const health = new services.health(address, channel)
  const promisify =
    (client: Client, method: string): Unary =>
    (request, metadata = new Metadata()) =>
      new Promise((resolve, reject) => {
        ;(client as any)[method](request, metadata, (err: ServiceError | null, response: unknown) =>
          err ? reject(err) : resolve(response),
        )
      })
  return {
    call(method, request, apiKey) {
      const metadata = new Metadata()
      if (apiKey) metadata.set('authorization', `Bearer ${apiKey}`)
      return promisify(inference, method)(request, metadata)
    },
    health: (service = '') => promisify(health, 'Check')({service}),
    raw: inference,
    close() {
      inference.close()
      health.close()
    },
  }
}

/** Sum and count of a Prometheus histogram series from GET /metrics text. */
export function histogram(metricsText: string, name: string, labels: string): {sum: number; count: number} {
  const value = (suffix: string) =>
    Number(new RegExp(`^${name}_${suffix}\\{${labels}\\} (\\S+)$`, 'm').exec(metricsText)?.[1] ?? NaN)
  return {sum: value('sum'), count: value('count')}
}

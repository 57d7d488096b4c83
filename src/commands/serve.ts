import {Args, Flags} from '@oclif/core'

import cluster from 'node:cluster'

import {BaseCommand} from '../cli/base-command.js'
import {listenForReload, type ReloadRequests} from '../cli/reload-signal.js'
import {listenForStop} from '../cli/stop-signal.js'
import {resolveModelSources} from '../core/serve/model-sources.js'
import {DEFAULT_VERSION_POLICY, describePolicy, parseVersionPolicy} from '../core/serve/model-version.js'
import {
  announceReady,
  shutdownRequested,
  startServerProcesses,
  type ServerAddresses,
} from '../core/serve/server-processes.js'
import {startServer} from '../core/serve/server.js'

export default class Serve extends BaseCommand {
  static description = `Serve ONNX models over HTTP and gRPC (KServe V2 / Open Inference Protocol) with dynamic batching.

Concurrent requests for a model are merged into one onnxruntime run (up to --max-batch-size rows) and split back. Inference runs in a worker thread per model, so health checks and new connections stay responsive under load.

A text model exported by mlctl (its metadata holds the tokenizer) takes texts: a BYTES input "text" on /v2/models/NAME/infer (JSON strings, binary data, gRPC bytes_contents or raw contents), or {"instances": ["a text", ...]} on /predict; token ids as INT64 input_ids and attention_mask work too. Texts are padded only to the longest in their batch.

Stops gracefully on SIGTERM or Ctrl-C: requests already received are answered, then the process exits 0.

With --tls-cert and --tls-key both ports use TLS (HTTPS, gRPC over TLS); --tls-client-ca also requires client certificates. SIGHUP re-reads the three files: new connections get the new certificate, open ones carry on.

With --model-repository DIR, serves every DIR/NAME/VERSION/model.onnx (Triton's layout; a version folder may be a run directory), the newest version by default, and takes load and unload requests (POST /v2/repository/...). A reload loads and warms the new version before requests move to it; a version that fails to load leaves the old one serving.`

  static examples = [
    '<%= config.bin %> <%= command.id %> model.onnx',
    '<%= config.bin %> <%= command.id %> runs/lenet --name digits --port 9000 --grpc-port 9001',
    '<%= config.bin %> <%= command.id %> --model digits=runs/a/model.onnx --model fashion=runs/b/model.onnx',
    '<%= config.bin %> <%= command.id %> --model-repository models --version-policy latest:2 --poll-repository-secs 10',
    'MLCTL_API_KEY=secret <%= config.bin %> <%= command.id %> model.onnx --host 0.0.0.0',
    '<%= config.bin %> <%= command.id %> model.onnx --tls-cert server.pem --tls-key server.key --tls-client-ca clients-ca.pem --health-port 8002',
  ]

  static args = {
    model: Args.string({description: 'An .onnx file, or a run directory holding one (from `mlctl export-onnx`).'}),
  }

  static flags = {
    name: Flags.string({description: 'Name of the MODEL argument in URLs [default: its file or directory name].'}),
    model: Flags.string({description: 'Serve another model as NAME=PATH (repeatable).', multiple: true}),
    'model-repository': Flags.string({
      description: 'Serve the models of a repository laid out as DIR/NAME/VERSION/model.onnx (VERSION: 1, 2, ...).',
    }),
    'version-policy': Flags.string({
      description: 'Which versions of each model serve: latest:N (the N newest), all, or specific:V1,V2.',
      default: describePolicy(DEFAULT_VERSION_POLICY),
    }),
    'poll-repository-secs': Flags.integer({
      description:
        'Reread the repository (and model files) every N seconds: new and changed versions load, removed ones unload (0: never).',
      default: 0,
      min: 0,
    }),
    host: Flags.string({
      description: 'Address to listen on; 0.0.0.0 exposes the server to the network.',
      default: '127.0.0.1',
    }),
    port: Flags.integer({description: 'HTTP port (0: any free port).', default: 8000, min: 0, max: 65535}),
    'grpc-port': Flags.integer({description: 'gRPC port (0: any free port).', default: 8001, min: 0, max: 65535}),
    'max-batch-size': Flags.integer({description: 'Most rows merged into one inference run.', default: 64, min: 1}),
    'max-queue-delay-ms': Flags.integer({
      description:
        'How long a request may wait for others to join its batch while the model is idle [default: 0, never wait: measured faster at every concurrency].',
      default: 0,
      min: 0,
    }),
    'max-queue': Flags.integer({
      description: 'Requests that may wait per model; more are refused with 503 / UNAVAILABLE.',
      default: 1024,
      min: 1,
    }),
    threads: Flags.integer({description: 'onnxruntime intra-op threads per model.', default: 1, min: 1}),
    'decode-threads': Flags.integer({
      description:
        'Threads that parse large HTTP/JSON inference bodies, off the thread that serves connections (0: parse there).',
      default: 1,
      min: 0,
    }),
    'api-key': Flags.string({
      description: 'Require "Authorization: Bearer KEY" on every route but liveness.',
      env: 'MLCTL_API_KEY',
    }),
    'max-body-mb': Flags.integer({
      description: 'Largest request body (HTTP) or message (gRPC), in MB.',
      default: 16,
      min: 1,
    }),
    'max-image-pixels': Flags.integer({
      description:
        'Refuse (413) an uploaded image larger than this many pixels, a possible decompression bomb [default: about 179 million, as Pillow].',
      min: 1,
    }),
    'timeout-ms': Flags.integer({
      description: 'Longest a request may wait in the queue, and longest an upload may take.',
      default: 30_000,
      min: 1,
    }),
    processes: Flags.integer({
      description:
        'Server processes sharing the ports, each with its own copy of the models; use up to one per core when one process cannot keep up.',
      default: 1,
      min: 1,
    }),
    'tls-cert': Flags.string({
      description: 'PEM certificate (then its chain) that HTTPS and gRPC over TLS present; SIGHUP re-reads it.',
      helpValue: 'FILE',
      dependsOn: ['tls-key'],
    }),
    'tls-key': Flags.string({
      description: 'Unencrypted PEM private key of --tls-cert.',
      helpValue: 'FILE',
      dependsOn: ['tls-cert'],
    }),
    'tls-client-ca': Flags.string({
      description: 'Require client certificates signed by a CA in this PEM file (mutual TLS), on both ports.',
      helpValue: 'FILE',
      dependsOn: ['tls-cert'],
    }),
    'health-port': Flags.integer({
      description:
        'Also answer GET /v2/health/live and /v2/health/ready over plain HTTP on this port, for probes that cannot present a client certificate.',
      min: 0,
      max: 65535,
    }),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Serve)
    const repository = flags['model-repository']
    const sources = resolveModelSources(args.model, flags.name, flags.model ?? [], repository !== undefined)
    const versionPolicy = parseVersionPolicy(flags['version-policy'])
    const tls = flags['tls-cert']
      ? {certFile: flags['tls-cert'], keyFile: flags['tls-key']!, clientCaFile: flags['tls-client-ca']}
      : undefined
    const reloads = tls ? listenForReload() : undefined
    if (flags.processes > 1 && cluster.isPrimary) {
      return this.runPrimary(flags.processes, Boolean(flags['api-key']), reloads)
    }
    const server = await startServer(
      {
        models: sources,
        repository,
        versionPolicy,
        pollSeconds: flags['poll-repository-secs'],
        host: flags.host,
        httpPort: flags.port,
        grpcPort: flags['grpc-port'],
        threads: flags.threads,
        decodeThreads: flags['decode-threads'],
        maxBatchSize: flags['max-batch-size'],
        maxQueueDelayMs: flags['max-queue-delay-ms'],
        maxQueue: flags['max-queue'],
        apiKey: flags['api-key'] || undefined,
        maxBodyBytes: flags['max-body-mb'] * 1024 * 1024,
        maxImagePixels: flags['max-image-pixels'],
        timeoutMs: flags['timeout-ms'],
        version: this.config.version,
        tls,
        healthPort: flags['health-port'],
      },
      (line) => this.logToStderr(line),
    )
    reloads?.onReload(() => server.reloadTls())
    if (cluster.isWorker) {
      // One of several server processes: the primary prints, and tells it when to stop.
      announceReady(server)
      // A signal or the primary's request stops this process; a signal after that must not cut its drain short.
      await Promise.race([shutdownRequested(), listenForStop().received])
      await server.shutdown()
      // The channel to the primary is the last thing keeping this process alive.
      process.disconnect?.()
      return
    }
    this.printReady(server, Boolean(flags['api-key']), 1)
    await this.stopOnSignal(server)
  }

  private async runPrimary(processes: number, withKey: boolean, reloads: ReloadRequests | undefined): Promise<void> {
    const servers = await startServerProcesses(processes, (line) => this.logToStderr(line))
    reloads?.onReload(() => servers.reloadTls())
    this.printReady(servers, withKey, processes)
    await this.stopOnSignal(servers)
  }

  private async stopOnSignal(server: {shutdown(): Promise<void>}): Promise<void> {
    // A second signal during the drain must not kill the process: stopping a worker mid-run aborts it.
    const signal = await listenForStop({
      onRepeat: () =>
        this.logToStderr('Still finishing requests in progress; the server stops when they are answered.'),
    }).received
    this.log(`${signal}: no longer accepting requests; finishing the ones in progress.`)
    await server.shutdown()
    this.log('Stopped.')
  }

  private printReady(server: ServerAddresses, withKey: boolean, processes: number): void {
    const count = `${server.models.length} model${server.models.length === 1 ? '' : 's'}`
    this.log(`mlctl ${this.config.version} serving ${count}${processes > 1 ? ` in ${processes} processes` : ''}:`)
    for (const model of server.models) {
      this.log(`  ${model.name}  ${model.path}  ${model.signature}`)
      for (const warning of model.warnings) this.logToStderr(`  warning: ${model.name}: ${warning}`)
    }
    const first = server.models[0]?.name ?? 'NAME'
    this.log(
      `HTTP  ${server.httpUrl}  (POST /v2/models/${first}/infer, POST /predict (numbers, named rows, images or texts), GET /metrics, GET /v2/health/ready, POST /v2/repository/index)`,
    )
    this.log(`gRPC  ${server.grpcAddress}  (inference.GRPCInferenceService, grpc.health.v1.Health)`)
    if (server.tls) this.log(`TLS   ${server.tls} (both ports; SIGHUP re-reads the files)`)
    if (server.healthUrl) this.log(`Health  ${server.healthUrl}  (GET /v2/health/live, /v2/health/ready; plain HTTP)`)
    if (withKey) this.log('API key required: send "Authorization: Bearer <key>" (liveness and gRPC health are open).')
    this.log('Ready. SIGTERM or Ctrl-C stops the server gracefully.')
  }
}

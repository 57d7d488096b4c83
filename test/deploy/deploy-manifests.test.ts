/**
 * The Dockerfile and the manifests in deploy/ must describe the same server: the manifests' arguments parse as
 * `mlctl serve` flags, their ports, probes and user are the image's, and their image is this version's. Nothing
 * here runs a cluster or a container (scripts/container-smoke.sh does, by hand).
 */
import {Parser} from '@oclif/core'
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {parse as parseYaml} from 'yaml'

import Serve from '../../src/commands/serve.js'

const PACKAGE = JSON.parse(readFileSync('package.json', 'utf8')) as {version: string; bin: Record<string, string>}
const IMAGE = `mlctl:${PACKAGE.version}`
const HTTP_PORT = Serve.flags.port.default as number
const GRPC_PORT = Serve.flags['grpc-port'].default as number

interface Container {
  image: string
  args: string[]
  env?: {name: string; value?: string; valueFrom?: {secretKeyRef?: {name: string; key: string}}}[]
  ports: {name: string; containerPort: number}[]
  livenessProbe?: any
  readinessProbe?: any
  resources?: {requests?: {cpu?: string}}
  volumeMounts?: {name: string; mountPath: string; readOnly?: boolean}[]
}

function manifest(path: string): any {
  return parseYaml(readFileSync(path, 'utf8'))
}

/** Dockerfile instructions by keyword (continuation lines joined, comments dropped), in order. */
function dockerfile(): {keyword: string; value: string}[] {
  const text = readFileSync('Dockerfile', 'utf8')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [keyword, ...rest] = line.trim().split(/\s+/)
      return {keyword: keyword.toUpperCase(), value: rest.join(' ')}
    })
}

/** The last stage's instructions: what the image runs. */
function runtimeStage(): {keyword: string; value: string}[] {
  const instructions = dockerfile()
  const lastFrom = instructions.map((i) => i.keyword).lastIndexOf('FROM')
  return instructions.slice(lastFrom)
}

/** Every RUN of the runtime stage, as one text. */
function runtimeRuns(): string {
  return runtimeStage()
    .filter((i) => i.keyword === 'RUN')
    .map((i) => i.value)
    .join('\n')
}

function instruction(keyword: string): string {
  const found = runtimeStage().filter((i) => i.keyword === keyword)
  expect(found, `one ${keyword} in the runtime stage`).toHaveLength(1)
  return found[0].value
}

/** Parses serve's arguments exactly as `mlctl serve` does; throws on an unknown flag or a bad value. */
async function parseServeArgs(args: string[]) {
  expect(args[0]).toBe('serve')
  const {args: positional, flags} = await Parser.parse(args.slice(1), {
    flags: {...Serve.baseFlags, ...Serve.flags},
    args: Serve.args,
    strict: true,
  })
  return {model: positional.model, flags}
}

function isUnder(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir.replace(/\/$/, '')}/`)
}

function expectApiKeyFromSecret(container: Container): void {
  expect(Serve.flags['api-key'].env).toBe('MLCTL_API_KEY')
  const key = container.env?.find((entry) => entry.name === 'MLCTL_API_KEY')
  expect(key?.value, 'the key never sits in the manifest').toBeUndefined()
  expect(key?.valueFrom?.secretKeyRef).toEqual({name: 'mlctl-api-key', key: 'key'})
}

describe('Dockerfile', () => {
  it('runs the mlctl command as a non-root numeric user', () => {
    expect(JSON.parse(instruction('ENTRYPOINT'))).toEqual(['mlctl'])
    expect(Object.keys(PACKAGE.bin)).toEqual(['mlctl'])
    const binPath = PACKAGE.bin.mlctl.replace(/^\.\//, '')
    expect(runtimeRuns()).toContain(`ln -s /opt/mlctl/${binPath} /usr/local/bin/mlctl`)
    expect(instruction('USER')).toMatch(/^[1-9]\d*:[1-9]\d*$/)
  })

  it('builds on node:20-bookworm-slim in two stages, with a registry mirror as a build argument', () => {
    const instructions = dockerfile()
    expect(instructions.find((i) => i.keyword === 'ARG')?.value).toBe('BASE_IMAGE=node:20-bookworm-slim')
    const stages = instructions.filter((i) => i.keyword === 'FROM')
    expect(stages.map((i) => i.value)).toEqual(['${BASE_IMAGE} AS build', '${BASE_IMAGE}'])
    const mirrorArgs = instructions.filter((i) => i.keyword === 'ARG' && i.value.startsWith('NPM_CONFIG_REGISTRY'))
    expect(mirrorArgs, 'one per stage: an ARG is scoped to its stage').toHaveLength(2)
    const buildRuns = instructions.slice(0, instructions.indexOf(stages[1])).filter((i) => i.keyword === 'RUN')
    expect(buildRuns.map((i) => i.value)).toEqual([expect.stringMatching(/^npm ci /), 'npm run build'])
    expect(buildRuns[0].value).not.toContain('--omit=dev')
    expect(runtimeRuns()).toContain('npm ci --omit=dev')
    const copies = runtimeStage().filter((i) => i.keyword === 'COPY')
    expect(copies[0].value, ".npmrc skips onnxruntime-node's CUDA download").toBe(
      'package.json package-lock.json .npmrc ./',
    )
    expect(copies.map((i) => i.value)).toContain('--from=build /build/dist ./dist')
  })

  it("exposes serve's default ports and checks liveness on the HTTP one", () => {
    expect(instruction('EXPOSE').split(/\s+/).map(Number)).toEqual([HTTP_PORT, GRPC_PORT])
    expect(instruction('HEALTHCHECK')).toContain(`'http://127.0.0.1:${HTTP_PORT}/v2/health/live'`)
  })

  it('serves /models on every interface by default', async () => {
    const {model, flags} = await parseServeArgs(JSON.parse(instruction('CMD')))
    expect(model).toBe('/models')
    expect(flags.host).toBe('0.0.0.0')
    expect(runtimeRuns()).toContain('mkdir /models')
  })
})

describe('Kubernetes manifests', () => {
  const deployment = manifest('deploy/kubernetes/deployment.yaml')
  const service = manifest('deploy/kubernetes/service.yaml')
  const hpa = manifest('deploy/kubernetes/hpa.yaml')
  const pod = deployment.spec.template.spec
  const container = pod.containers[0] as Container

  it('Deployment runs this version of the image as its non-root user', () => {
    expect(deployment).toMatchObject({apiVersion: 'apps/v1', kind: 'Deployment'})
    expect(pod.containers).toHaveLength(1)
    expect(container.image).toBe(IMAGE)
    const [uid, gid] = instruction('USER').split(':').map(Number)
    expect(pod.securityContext).toMatchObject({runAsNonRoot: true, runAsUser: uid, runAsGroup: gid})
    expect(deployment.spec.selector.matchLabels).toEqual(
      expect.objectContaining(deployment.spec.template.metadata.labels),
    )
  })

  it('Deployment serves the mounted models on the ports it declares', async () => {
    const {model, flags} = await parseServeArgs(container.args)
    expect(flags.host).toBe('0.0.0.0')
    const modelsMount = container.volumeMounts?.find((mount) => isUnder(model!, mount.mountPath))
    expect(modelsMount, `${model} is on a volume`).toMatchObject({readOnly: true})
    expect(pod.volumes.map((volume: {name: string}) => volume.name)).toContain(modelsMount!.name)
    expect(container.ports).toEqual([
      {name: 'http', containerPort: flags.port},
      {name: 'grpc', containerPort: flags['grpc-port']},
    ])
    expectApiKeyFromSecret(container)
  })

  it('Deployment probes liveness over HTTP and readiness over gRPC health, both open without the key', () => {
    expect(container.livenessProbe.httpGet).toEqual({path: '/v2/health/live', port: 'http'})
    expect(container.readinessProbe.grpc).toEqual({port: GRPC_PORT})
  })

  it('Deployment lets the drain outlast the longest queue wait', () => {
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(Serve.flags['timeout-ms'].default as number)
  })

  it('Service routes both protocols to the Deployment by port name', () => {
    expect(service).toMatchObject({apiVersion: 'v1', kind: 'Service'})
    expect(service.spec.selector).toEqual(deployment.spec.template.metadata.labels)
    const portNames = container.ports.map((port) => port.name)
    for (const port of service.spec.ports) expect(portNames).toContain(port.targetPort)
    expect(service.spec.ports.map((port: {port: number}) => port.port)).toEqual([HTTP_PORT, GRPC_PORT])
  })

  it('HorizontalPodAutoscaler scales the Deployment on CPU, which the container requests', () => {
    expect(hpa).toMatchObject({apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler'})
    expect(hpa.spec.scaleTargetRef).toEqual({apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name})
    expect(hpa.spec.metrics[0].resource.name).toBe('cpu')
    expect(container.resources?.requests?.cpu).toBeDefined()
  })
})

describe('KServe InferenceService', () => {
  const service = manifest('deploy/kserve/inferenceservice.yaml')
  const container = service.spec.predictor.containers[0] as Container

  it('runs this version of the image on the models KServe downloads', async () => {
    expect(service).toMatchObject({apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService'})
    expect(container.image).toBe(IMAGE)
    const {model, flags} = await parseServeArgs(container.args)
    // KServe's storage initializer fetches STORAGE_URI into /mnt/models.
    expect(model).toBe('/mnt/models')
    expect(container.env?.find((entry) => entry.name === 'STORAGE_URI')?.value).toBeTruthy()
    expect(flags.host).toBe('0.0.0.0')
    expect(container.ports).toEqual([{name: 'http1', containerPort: flags.port, protocol: 'TCP'}])
    expect(container.readinessProbe.tcpSocket).toEqual({port: flags.port})
    expect(container.livenessProbe.httpGet).toEqual({path: '/v2/health/live', port: flags.port})
    expectApiKeyFromSecret(container)
  })
})

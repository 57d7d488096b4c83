/**
 * The model repository: Triton's layout and version policies, the repository extension (index, load, unload)
 * over HTTP and gRPC, polling, and reloads that never drop a request. Each model version multiplies its input
 * by its own factor, so an answer tells which version gave it.
 */
import {status} from '@grpc/grpc-js'
import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {GraphBuilder} from '../../src/core/onnx/graph-builder.js'
import {repositoryModels, scanVersions} from '../../src/core/serve/model-repository.js'
import {parseVersionPolicy, selectVersions} from '../../src/core/serve/model-version.js'

import {grpcClients, startServe, type GrpcClients, type ServeProcess} from './serve-process.js'

const KEY = 'repo-secret'
const AUTH = {authorization: `Bearer ${KEY}`}

/** y = x * factor, x and y FP32 [batch, 2]. */
function scaleModel(factor: number): Uint8Array {
  const g = new GraphBuilder('scale')
  const x = g.input('x', 'float32', ['batch', 2])
  g.output(g.node('Mul', [x, g.scalar(factor)]), 'y', 'float32', ['batch', 2])
  return g.toBytes()
}

/** Writes DIR/NAME/VERSION/model.onnx as a user would: a temp file renamed into place. */
function writeVersion(repository: string, name: string, version: number, content: Uint8Array | string): void {
  const folder = join(repository, name, String(version))
  mkdirSync(folder, {recursive: true})
  writeFileSync(join(folder, 'model.onnx.tmp'), content)
  renameSync(join(folder, 'model.onnx.tmp'), join(folder, 'model.onnx'))
}

/** x = [1, 2] repeated `rows` times; bodies of 4 KB and more are decoded on the server's decoder thread. */
async function infer(http: string, name: string, version?: string, rows = 1): Promise<{status: number; json: any}> {
  const path = version === undefined ? `/v2/models/${name}/infer` : `/v2/models/${name}/versions/${version}/infer`
  const data = Array.from({length: rows}, () => [1, 2]).flat()
  const response = await fetch(`${http}${path}`, {
    method: 'POST',
    headers: AUTH,
    body: JSON.stringify({inputs: [{name: 'x', shape: [rows, 2], datatype: 'FP32', data}]}),
  })
  return {status: response.status, json: await response.json()}
}

/** The factor of the version that answered: y[0] for x = [1, 2]. */
async function factorOf(http: string, name: string, version?: string): Promise<number> {
  const response = await infer(http, name, version)
  expect(response.status, JSON.stringify(response.json)).toBe(200)
  return response.json.outputs[0].data[0] as number
}

async function post(url: string, body = '', headers: Record<string, string> = AUTH) {
  const response = await fetch(url, {method: 'POST', body, headers})
  const text = await response.text()
  return {status: response.status, json: text === '' ? undefined : JSON.parse(text)}
}

async function index(http: string, ready = false): Promise<Array<Record<string, string>>> {
  const response = await post(`${http}/v2/repository/index`, JSON.stringify({ready}))
  expect(response.status).toBe(200)
  return response.json
}

function entry(entries: Array<Record<string, string>>, name: string, version: string) {
  return entries.find((candidate) => candidate.name === name && candidate.version === version)
}

/** Retries `check` until it passes (the server polls the repository on its own schedule). */
async function eventually(check: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 30_000
  for (;;) {
    try {
      await check()
      return
    } catch (err) {
      if (Date.now() > deadline) throw err
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

describe('the repository layout and version policies', () => {
  const repository = mkdtempSync(join(tmpdir(), 'mlctl-repo-layout-'))

  it('finds DIR/NAME/VERSION/model.onnx, run directories as version folders, and nothing else', () => {
    writeVersion(repository, 'digits', 1, scaleModel(1))
    writeVersion(repository, 'digits', 10, scaleModel(10))
    // A run directory as a version folder: model.onnx beside the run's other files.
    writeVersion(repository, 'digits', 2, scaleModel(2))
    writeFileSync(join(repository, 'digits', '2', 'config.json'), '{}')
    mkdirSync(join(repository, 'digits', '3'))
    for (const notAVersion of ['0', '007', 'latest']) mkdirSync(join(repository, 'digits', notAVersion))
    writeFileSync(join(repository, 'digits', 'README'), '')
    mkdirSync(join(repository, '.cache'))
    writeFileSync(join(repository, 'loose.onnx'), scaleModel(1))

    expect(repositoryModels(repository).map((source) => source.name)).toEqual(['digits'])
    const versions = scanVersions({name: 'digits', folder: join(repository, 'digits')})!
    expect(versions.map((version) => version.version)).toEqual([1, 2, 3, 10])
    expect(versions[1].path).toBe(join(repository, 'digits', '2', 'model.onnx'))
    expect(versions[2].problem).toBe(`no model.onnx in ${join(repository, 'digits', '3')}`)
    expect(versions.filter((version) => version.problem === undefined)).toHaveLength(3)
    expect(scanVersions({name: 'gone', folder: join(repository, 'gone')})).toBeUndefined()
  })

  it("selects versions as Triton's latest:N, all and specific policies do, by number", () => {
    const available = [1, 2, 10]
    expect(selectVersions(parseVersionPolicy('latest:1'), available)).toEqual([10])
    expect(selectVersions(parseVersionPolicy('latest:2'), available)).toEqual([2, 10])
    expect(selectVersions(parseVersionPolicy('latest:5'), available)).toEqual([1, 2, 10])
    expect(selectVersions(parseVersionPolicy('all'), available)).toEqual([1, 2, 10])
    expect(selectVersions(parseVersionPolicy('specific:1,3,10'), available)).toEqual([1, 10])
    for (const bad of ['latest', 'latest:0', 'newest:1', 'specific:', 'specific:1,x', 'all:2']) {
      expect(() => parseVersionPolicy(bad), bad).toThrow(/is not a policy; use latest:N/)
    }
  })

  it('refuses a bad policy or repository at start with a one-line message', () => {
    const policy = spawnSync(
      'node',
      ['bin/run.js', 'serve', '--model-repository', repository, '--version-policy', 'x'],
      {
        encoding: 'utf8',
      },
    )
    expect(policy.status).toBe(2)
    expect(policy.stderr).toMatch(/--version-policy x is not a policy; use latest:N/)
    const missing = spawnSync('node', ['bin/run.js', 'serve', '--model-repository', join(repository, 'nope')], {
      encoding: 'utf8',
    })
    expect(missing.status).toBe(1)
    expect(missing.stderr).toMatch(/model repository .*nope is not a directory; lay it out as/)
    expect(missing.stderr).not.toMatch(/\n\s+at /)
  })
})

describe('mlctl serve --model-repository', () => {
  const repository = mkdtempSync(join(tmpdir(), 'mlctl-repo-serve-'))
  let server: ServeProcess
  let grpc: GrpcClients
  let http: string

  beforeAll(async () => {
    for (const version of [1, 2, 3]) writeVersion(repository, 'scale', version, scaleModel(version))
    writeVersion(repository, 'other', 1, scaleModel(-1))
    server = await startServe([
      '--model-repository',
      repository,
      '--version-policy',
      'latest:2',
      '--poll-repository-secs',
      '1',
      '--api-key',
      KEY,
    ])
    http = server.httpUrl
    grpc = grpcClients(server.grpcAddress)
  })

  afterAll(async () => {
    grpc.close()
    if (server.child.exitCode === null) expect(await server.stop()).toBe(0)
  })

  it('serves the newest version by default, and each version the policy selects by number', async () => {
    expect(server.output()).toContain(
      `scale  ${join(repository, 'scale', '3', 'model.onnx')}  x FP32[-1,2] -> y FP32[-1,2]`,
    )
    expect(await factorOf(http, 'scale')).toBe(3)
    expect(await factorOf(http, 'scale', '3')).toBe(3)
    expect(await factorOf(http, 'scale', '2')).toBe(2)
    expect((await infer(http, 'scale', '3')).json.model_version).toBe('3')
    const notSelected = await infer(http, 'scale', '1')
    expect(notSelected.status).toBe(404)
    expect(notSelected.json.error).toBe('model "scale" has no version "1" serving; it serves version 2, 3')

    const metadata = await fetch(`${http}/v2/models/scale/versions/2`, {headers: AUTH})
    expect(await metadata.json()).toMatchObject({name: 'scale', versions: ['2', '3']})
    const ready = await fetch(`${http}/v2/models/scale/versions/2/ready`, {headers: AUTH})
    expect(ready.status).toBe(200)

    const request = {
      model_name: 'scale',
      inputs: [{name: 'x', datatype: 'FP32', shape: [1, 2], contents: {fp32_contents: [1, 2]}}],
    }
    const byVersion = await grpc.call('ModelInfer', {...request, model_version: '2'}, KEY)
    expect(byVersion).toMatchObject({model_version: '2', outputs: [{contents: {fp32_contents: [2, 4]}}]})
    const newest = await grpc.call('ModelInfer', request, KEY)
    expect(newest).toMatchObject({model_version: '3', outputs: [{contents: {fp32_contents: [3, 6]}}]})
    const missing = await grpc.call('ModelInfer', {...request, model_version: '1'}, KEY).catch((err) => err)
    expect(missing.code).toBe(status.NOT_FOUND)
  })

  it('lists every version with its state over HTTP and gRPC, and only with the key', async () => {
    expect(await index(http)).toEqual([
      {name: 'other', version: '1', state: 'READY', reason: ''},
      {name: 'scale', version: '1', state: 'UNAVAILABLE', reason: 'not selected by --version-policy latest:2'},
      {name: 'scale', version: '2', state: 'READY', reason: ''},
      {name: 'scale', version: '3', state: 'READY', reason: ''},
    ])
    expect((await index(http, true)).map((e) => `${e.name}/${e.version}`)).toEqual(['other/1', 'scale/2', 'scale/3'])
    const byGrpc = await grpc.call('RepositoryIndex', {ready: true}, KEY)
    expect(byGrpc.models.map((e: Record<string, string>) => `${e.name}/${e.version}/${e.state}`)).toEqual([
      'other/1/READY',
      'scale/2/READY',
      'scale/3/READY',
    ])

    const noKey = await post(`${http}/v2/repository/index`, '', {})
    expect(noKey.status).toBe(401)
    for (const path of ['/v2/repository/models/other/unload', '/v2/repository/models/other/load']) {
      expect((await post(`${http}${path}`, '', {authorization: 'Bearer wrong'})).status).toBe(401)
    }
    for (const method of ['RepositoryIndex', 'RepositoryModelLoad', 'RepositoryModelUnload']) {
      const refused = await grpc.call(method, {model_name: 'other'}).catch((err) => err)
      expect(refused.code, method).toBe(status.UNAUTHENTICATED)
    }
    expect(await factorOf(http, 'other')).toBe(-1)
  })

  it('unloads and loads models over HTTP and gRPC', async () => {
    expect(await post(`${http}/v2/repository/models/other/unload`)).toEqual({status: 200, json: undefined})
    const gone = await infer(http, 'other')
    expect(gone.status).toBe(404)
    expect(gone.json.error).toMatch(/model "other" is not loaded \(it was unloaded\); load it with POST/)
    expect(entry(await index(http), 'other', '1')).toMatchObject({state: 'UNAVAILABLE', reason: 'unloaded'})
    // Polling leaves an unloaded model alone.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect((await infer(http, 'other')).status).toBe(404)

    expect(await grpc.call('RepositoryModelLoad', {model_name: 'other'}, KEY)).toEqual({})
    expect(await factorOf(http, 'other')).toBe(-1)
    expect(await grpc.call('RepositoryModelUnload', {model_name: 'other'}, KEY)).toEqual({})
    expect((await infer(http, 'other')).status).toBe(404)
    expect((await post(`${http}/v2/repository/models/other/load`, '{"parameters": {}}')).status).toBe(200)
    expect(await factorOf(http, 'other')).toBe(-1)

    const unknown = await post(`${http}/v2/repository/models/nope/load`)
    expect(unknown.status).toBe(404)
    expect(unknown.json.error).toBe(`no model "nope" in the repository; add ${repository}/nope/1/model.onnx`)
    const unknownGrpc = await grpc.call('RepositoryModelUnload', {model_name: 'nope'}, KEY).catch((err) => err)
    expect(unknownGrpc.code).toBe(status.NOT_FOUND)
    const withFile = await post(
      `${http}/v2/repository/models/other/load`,
      JSON.stringify({parameters: {'file:1/model.onnx': 'AAAA'}}),
    )
    expect(withFile.status).toBe(400)
    expect(withFile.json.error).toMatch(/the load parameter "file:1\/model.onnx" is not supported/)
    expect((await fetch(`${http}/v2/repository/index`, {headers: AUTH})).status).toBe(400)
  })

  it('picks up new and removed versions and models by polling', async () => {
    writeVersion(repository, 'scale', 4, scaleModel(4))
    await eventually(async () => expect(await factorOf(http, 'scale')).toBe(4))
    expect((await index(http, true)).filter((e) => e.name === 'scale').map((e) => e.version)).toEqual(['3', '4'])

    rmSync(join(repository, 'scale', '4'), {recursive: true})
    await eventually(async () => expect(await factorOf(http, 'scale')).toBe(3))
    expect(await factorOf(http, 'scale', '2')).toBe(2)
    expect(entry(await index(http), 'scale', '4')).toBeUndefined()

    writeVersion(repository, 'fresh', 7, scaleModel(7))
    await eventually(async () => expect(await factorOf(http, 'fresh')).toBe(7))
    rmSync(join(repository, 'fresh'), {recursive: true})
    await eventually(async () => expect((await infer(http, 'fresh')).status).toBe(404))
    expect((await index(http)).some((e) => e.name === 'fresh')).toBe(false)
  })

  it('keeps the old version serving when a new one is broken, with the error in the index and metrics', async () => {
    writeVersion(repository, 'scale', 5, 'not an onnx file')
    await eventually(async () =>
      expect(entry(await index(http), 'scale', '5')).toMatchObject({
        state: 'UNAVAILABLE',
        reason: expect.stringMatching(/^version 5 failed to load: cannot load .*5\/model\.onnx as an ONNX model/),
      }),
    )
    expect(await factorOf(http, 'scale')).toBe(3)
    expect(await factorOf(http, 'scale', '2')).toBe(2)
    const metrics = await (await fetch(`${http}/metrics`, {headers: AUTH})).text()
    expect(metrics).toMatch(/^mlctl_model_loads_total\{model="scale",result="failed"\} [1-9]/m)
    const load = await post(`${http}/v2/repository/models/scale/load`)
    expect(load.status).toBe(400)
    expect(load.json.error).toMatch(/^model "scale": version 5 failed to load: .*; version 2, 3 still serves$/)

    // A file replaced in place by a broken one: the copy loaded before keeps serving.
    writeVersion(repository, 'scale', 5, scaleModel(5))
    await eventually(async () => expect(await factorOf(http, 'scale')).toBe(5))
    writeVersion(repository, 'scale', 5, 'broken again')
    await eventually(async () =>
      expect(entry(await index(http), 'scale', '5')).toMatchObject({
        state: 'READY',
        reason: expect.stringMatching(
          /^version 5 changed and failed to load .*; still serving the copy loaded before$/,
        ),
      }),
    )
    expect(await factorOf(http, 'scale')).toBe(5)
    rmSync(join(repository, 'scale', '5'), {recursive: true})
    await eventually(async () => expect(await factorOf(http, 'scale')).toBe(3))
  })

  it('answers every request of a concurrent stream across reloads', async () => {
    const factors = [3]
    let stop = false
    const statuses: number[] = []
    const wrong: unknown[] = []
    const client = async () => {
      while (!stop) {
        // Large enough to be decoded off the request thread: a reload may happen while it is.
        const response = await infer(http, 'scale', undefined, 20_000)
        statuses.push(response.status)
        const value = response.json.outputs?.[0]?.data[0]
        if (!factors.includes(value)) wrong.push(response.json)
      }
    }
    const clients = Array.from({length: 16}, client)
    for (let round = 0; round < 5; round++) {
      const factor = 100 + round
      factors.push(factor)
      // Version 3 replaced in place, and reloaded on request (polling may get there first).
      writeVersion(repository, 'scale', 3, scaleModel(factor))
      expect((await post(`${http}/v2/repository/models/scale/load`)).status).toBe(200)
      await eventually(async () => expect(await factorOf(http, 'scale')).toBe(factor))
    }
    stop = true
    await Promise.all(clients)
    expect(statuses.length).toBeGreaterThan(50)
    expect(statuses.filter((code) => code !== 200)).toEqual([])
    expect(wrong).toEqual([])
  })
})

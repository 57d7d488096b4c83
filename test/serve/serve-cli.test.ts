/**
 * End to end: the real `mlctl serve` in a child process, real HTTP (fetch) and gRPC (@grpc/grpc-js)
 * clients, results compared with onnxruntime run in this process. The models were exported by PyTorch
 * (test/fixtures/serve/make_fixtures.py), not written by mlctl.
 */
import {Metadata, status} from '@grpc/grpc-js'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {Agent, request} from 'node:http'
import {connect} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {deflateSync, gzipSync} from 'node:zlib'
import ort from 'onnxruntime-node'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {GraphBuilder} from '../../src/core/onnx/graph-builder.js'
import {loadGrpcServices} from '../../src/core/serve/grpc-protos.js'
import {opset6Model} from '../helpers/opset6-model.js'

import {FIXTURES, grpcClients, histogram, startServe, type GrpcClients, type ServeProcess} from './serve-process.js'

const VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as {version: string}).version
const LENET = `${FIXTURES}/lenet.onnx`
const TABULAR = `${FIXTURES}/tabular.onnx`
const FIXED = `${FIXTURES}/tabular-fixed-batch.onnx`

function images(count: number, seed: number): Float32Array {
  const data = new Float32Array(count * 784)
  for (let i = 0; i < data.length; i++) data[i] = Math.fround(((i * 7919 + seed * 104729) % 1000) / 1000)
  return data
}

const sessions = new Map<string, Promise<ort.InferenceSession>>()

/** What onnxruntime gives in this process, unbatched: the results the server must reproduce. */
async function reference(
  path: string,
  input: string,
  data: Float32Array,
  dims: number[],
): Promise<Record<string, number[]>> {
  if (!sessions.has(path)) sessions.set(path, ort.InferenceSession.create(path))
  const session = await sessions.get(path)!
  const outputs = await session.run({[input]: new ort.Tensor('float32', data, dims)})
  return Object.fromEntries(
    Object.entries(outputs).map(([name, tensor]) => [name, Array.from(tensor.data as Float32Array, Number)]),
  )
}

async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{status: number; json: any}> {
  const response = await fetch(url, {
    method: 'POST',
    body: typeof body === 'string' ? body : body instanceof Uint8Array ? new Uint8Array(body) : JSON.stringify(body),
    headers,
  })
  return {status: response.status, json: await response.json()}
}

async function get(url: string, headers: Record<string, string> = {}): Promise<{status: number; json: any}> {
  const response = await fetch(url, {headers})
  return {status: response.status, json: await response.json()}
}

/** A POST over node:http, which tells when the body has been handed to the operating system (`sent`). */
function sendRequest(url: string, body: string, agent: Agent | false): {sent: Promise<void>; status: Promise<number>} {
  let sent!: () => void
  const sentPromise = new Promise<void>((resolve) => (sent = resolve))
  const status = new Promise<number>((resolve, reject) => {
    const req = request(url, {method: 'POST', agent, headers: {'content-length': Buffer.byteLength(body)}}, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode!))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body, sent)
  })
  return {sent: sentPromise, status}
}

function lenetRequest(data: Float32Array, extra: object = {}) {
  return {
    inputs: [{name: 'input', shape: [data.length / 784, 1, 28, 28], datatype: 'FP32', data: Array.from(data)}],
    ...extra,
  }
}

function writeModel(g: GraphBuilder, file: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'mlctl-serve-model-')), file)
  writeFileSync(path, g.toBytes())
  return path
}

/** A model with two inputs, a + b and a * b: the binary data of both then arrives in one request body. */
function twoInputModel(): string {
  const g = new GraphBuilder('pair')
  const a = g.input('a', 'float32', ['batch', 3])
  const b = g.input('b', 'float32', ['batch', 3])
  g.output(g.node('Add', [a, b]), 'sum', 'float32', ['batch', 3])
  g.output(g.node('Mul', [a, b]), 'product', 'float32', ['batch', 3])
  return writeModel(g, 'pair.onnx')
}

/** As onnx's test_expand_shape_model1: inputs X [1,3,1] and shape [2] (INT64) share no batch dimension. */
function expandModel(): string {
  const g = new GraphBuilder('expand')
  const x = g.input('X', 'float32', [1, 3, 1])
  const shape = g.input('shape', 'int64', [2])
  g.output(g.node('Expand', [x, shape]), 'Y', 'float32', ['d0', 'd1', 'd2'])
  return writeModel(g, 'expand.onnx')
}

/** b's rows under a's: both first dimensions are free but not the same, so requests must not be merged. */
function stackModel(): string {
  const g = new GraphBuilder('stack')
  const a = g.input('a', 'float32', ['n', 2])
  const b = g.input('b', 'float32', ['m', 2])
  g.output(g.node('Concat', [a, b], {axis: 0}), 'rows', 'float32', ['total', 2])
  return writeModel(g, 'stack.onnx')
}

describe('mlctl serve', () => {
  let server: ServeProcess
  let grpc: GrpcClients
  let http: string

  beforeAll(async () => {
    server = await startServe([
      LENET,
      '--model',
      `tab=${TABULAR}`,
      '--model',
      `fixed=${FIXED}`,
      '--model',
      `pair=${twoInputModel()}`,
      '--model',
      `expand=${expandModel()}`,
      '--model',
      `stack=${stackModel()}`,
      '--max-body-mb',
      '2',
    ])
    http = server.httpUrl
    grpc = grpcClients(server.grpcAddress)
  })

  afterAll(async () => {
    grpc.close()
    if (server.child.exitCode === null) await server.stop()
  })

  it('prints where it listens and what it serves', () => {
    expect(server.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(server.grpcAddress).toMatch(/^127\.0\.0\.1:\d+$/)
    expect(server.output()).toContain(
      'lenet  test/fixtures/serve/lenet.onnx  input FP32[-1,1,28,28] -> logits FP32[-1,10]',
    )
  })

  it('answers the health and metadata routes', async () => {
    expect(await get(`${http}/v2/health/live`)).toEqual({status: 200, json: {live: true}})
    expect(await get(`${http}/v2/health/ready`)).toEqual({status: 200, json: {ready: true}})
    expect((await get(`${http}/v2`)).json).toEqual({
      name: 'mlctl',
      version: VERSION,
      extensions: ['binary_tensor_data', 'model_repository'],
    })
    const metadata = await get(`${http}/v2/models/lenet`)
    expect(metadata.json).toMatchObject({
      name: 'lenet',
      versions: ['1'],
      platform: 'onnx_onnxv1',
      inputs: [{name: 'input', datatype: 'FP32', shape: [-1, 1, 28, 28]}],
      outputs: [
        {name: 'logits', datatype: 'FP32', shape: [-1, 10]},
        {name: 'probabilities', datatype: 'FP32', shape: [-1, 10]},
      ],
    })
    expect(JSON.parse(metadata.json.properties.class_names)).toHaveLength(10)
    expect((await get(`${http}/v2/models/tab/versions/1`)).json.outputs).toEqual([
      {name: 'scores', datatype: 'FP32', shape: [-1, 3]},
      {name: 'label', datatype: 'INT64', shape: [-1]},
    ])
    expect((await get(`${http}/v2/models/fixed`)).json.inputs).toEqual([
      {name: 'features', datatype: 'FP32', shape: [1, 4]},
    ])
    expect(await get(`${http}/v2/models/lenet/ready`)).toEqual({status: 200, json: {name: 'lenet', ready: true}})
    expect(await get(`${http}/v2/models/lenet/versions/1/ready`)).toEqual({
      status: 200,
      json: {name: 'lenet', ready: true},
    })
  })

  it('answers unknown models, versions and routes with 404 and a JSON error', async () => {
    for (const path of ['/v2/models/nope', '/v2/models/nope/ready', '/v2/models/lenet/versions/2', '/v3']) {
      const response = await get(`${http}${path}`)
      expect(response.status, path).toBe(404)
      expect(response.json.error, path).toMatch(/unknown model "nope"|no version "2"|no route/)
    }
    expect((await post(`${http}/v2/models/nope/infer`, lenetRequest(images(1, 0)))).status).toBe(404)
  })

  it('infers over HTTP exactly as onnxruntime does in process, flat or nested, with id and outputs filter', async () => {
    const data = images(3, 1)
    const expected = await reference(LENET, 'input', data, [3, 1, 28, 28])
    const flat = await post(`${http}/v2/models/lenet/infer`, lenetRequest(data, {id: 'req-1'}))
    expect(flat.status).toBe(200)
    expect(flat.json).toEqual({
      model_name: 'lenet',
      model_version: '1',
      id: 'req-1',
      outputs: [
        {name: 'logits', datatype: 'FP32', shape: [3, 10], data: expected.logits},
        {name: 'probabilities', datatype: 'FP32', shape: [3, 10], data: expected.probabilities},
      ],
    })
    const rows = Array.from({length: 3}, (_, i) => [
      Array.from({length: 28}, (_, y) => Array.from(data.subarray(i * 784 + y * 28, i * 784 + y * 28 + 28))),
    ])
    const nested = await post(`${http}/v2/models/lenet/versions/1/infer`, {
      inputs: [{name: 'input', shape: [3, 1, 28, 28], datatype: 'FP32', data: rows}],
      outputs: [{name: 'probabilities'}],
    })
    expect(nested.json.id).toBeUndefined()
    expect(nested.json.outputs).toEqual([
      {name: 'probabilities', datatype: 'FP32', shape: [3, 10], data: expected.probabilities},
    ])
  })

  it('takes and gives raw tensor bytes over HTTP with the binary tensor data extension', async () => {
    const data = images(2, 12)
    const expected = await reference(LENET, 'input', data, [2, 1, 28, 28])
    const header = Buffer.from(
      JSON.stringify({
        inputs: [
          {name: 'input', shape: [2, 1, 28, 28], datatype: 'FP32', parameters: {binary_data_size: data.byteLength}},
        ],
        outputs: [{name: 'logits', parameters: {binary_data: true}}, {name: 'probabilities'}],
      }),
    )
    const response = await fetch(`${http}/v2/models/lenet/infer`, {
      method: 'POST',
      headers: {'inference-header-content-length': String(header.length)},
      body: Buffer.concat([header, Buffer.from(data.buffer)]),
    })
    expect(response.status).toBe(200)
    const body = Buffer.from(await response.arrayBuffer())
    const length = Number(response.headers.get('inference-header-content-length'))
    const json = JSON.parse(body.subarray(0, length).toString())
    expect(json.outputs).toEqual([
      {name: 'logits', datatype: 'FP32', shape: [2, 10], parameters: {binary_data_size: 80}},
      {name: 'probabilities', datatype: 'FP32', shape: [2, 10], data: expected.probabilities},
    ])
    expect(Array.from(new Float32Array(new Uint8Array(body.subarray(length)).buffer))).toEqual(expected.logits)
  })

  it('takes gzip and deflate request bodies, JSON or binary, within --max-body-mb once decompressed', async () => {
    const url = `${http}/v2/models/lenet/infer`
    const data = images(2, 13)
    const expected = await reference(LENET, 'input', data, [2, 1, 28, 28])
    const json = Buffer.from(JSON.stringify(lenetRequest(data)))
    const header = Buffer.from(
      JSON.stringify({
        inputs: [
          {name: 'input', shape: [2, 1, 28, 28], datatype: 'FP32', parameters: {binary_data_size: data.byteLength}},
        ],
      }),
    )
    const binary = Buffer.concat([header, Buffer.from(data.buffer)])
    for (const [encoding, compress] of [
      ['gzip', gzipSync],
      ['deflate', deflateSync],
    ] as const) {
      const fromJson = await post(url, compress(json), {'content-encoding': encoding})
      expect(fromJson.status, encoding).toBe(200)
      expect(fromJson.json.outputs[0].data, encoding).toEqual(expected.logits)
      const fromBinary = await post(url, compress(binary), {
        'content-encoding': encoding,
        'inference-header-content-length': String(header.length),
      })
      expect(fromBinary.status, encoding).toBe(200)
      expect(fromBinary.json.outputs[0].data, encoding).toEqual(expected.logits)
    }
    // 64 MB of zeros in 64 KB: refused once the first 2 MB are out.
    const bomb = await post(url, gzipSync(Buffer.alloc(64 * 1024 * 1024)), {'content-encoding': 'gzip'})
    expect(bomb).toEqual({status: 413, json: {error: expect.stringMatching(/decompresses to more than 2097152 bytes/)}})
    const brotli = await post(url, json, {'content-encoding': 'br'})
    expect(brotli).toEqual({
      status: 415,
      json: {error: expect.stringMatching(/Content-Encoding "br" is not supported/)},
    })
    const notGzip = await post(url, json, {'content-encoding': 'gzip'})
    expect(notGzip).toEqual({status: 400, json: {error: expect.stringMatching(/not valid gzip data/)}})
  })

  it('reads several inputs from one binary body, whatever the length of the JSON before it', async () => {
    const a = new Float32Array([1, 2, 3, 4, 5, 6])
    const b = new Float32Array([0.5, -1, 2, 10, 0, -3])
    for (const id of ['', 'x', 'xx', 'xxx', 'xxxxxxx']) {
      const header = Buffer.from(
        JSON.stringify({
          id,
          inputs: ['a', 'b'].map((name) => ({
            name,
            shape: [2, 3],
            datatype: 'FP32',
            parameters: {binary_data_size: 24},
          })),
        }),
      )
      const response = await fetch(`${http}/v2/models/pair/infer`, {
        method: 'POST',
        headers: {'inference-header-content-length': String(header.length)},
        body: Buffer.concat([header, Buffer.from(a.buffer), Buffer.from(b.buffer)]),
      })
      expect(response.status, id).toBe(200)
      const json = (await response.json()) as {id: string; outputs: Array<{name: string; data: number[]}>}
      expect(json.id).toBe(id)
      expect(json.outputs.map((output) => [output.name, output.data])).toEqual([
        ['sum', Array.from(a, (value, i) => value + b[i])],
        ['product', Array.from(a, (value, i) => value * b[i])],
      ])
    }
  })

  it('serves a model with another input name, rank and an INT64 output, and one with a fixed batch', async () => {
    const features = new Float32Array([0.1, -2, 3.5, 0.25, 1, 1, 1, 1])
    const expected = await reference(TABULAR, 'features', features, [2, 4])
    const response = await post(`${http}/v2/models/tab/infer`, {
      inputs: [{name: 'features', shape: [2, 4], datatype: 'FP32', data: Array.from(features)}],
    })
    expect(response.json.outputs).toEqual([
      {name: 'scores', datatype: 'FP32', shape: [2, 3], data: expected.scores},
      {name: 'label', datatype: 'INT64', shape: [2], data: expected.label},
    ])
    const fixed = await post(`${http}/v2/models/fixed/infer`, {
      inputs: [{name: 'features', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4]}],
    })
    expect(fixed.status).toBe(200)
    expect(fixed.json.outputs[0].shape).toEqual([1, 3])
    const twoRows = await post(`${http}/v2/models/fixed/infer`, {
      inputs: [{name: 'features', shape: [2, 4], datatype: 'FP32', data: Array.from(features)}],
    })
    expect(twoRows.status).toBe(400)
  })

  it('serves models whose inputs share no batch dimension: each input in its own shape, one request at a time', async () => {
    const x = [1, 2, 3]
    const expanded = [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]
    const overHttp = await post(`${http}/v2/models/expand/infer`, {
      inputs: [
        {name: 'X', shape: [1, 3, 1], datatype: 'FP32', data: x},
        {name: 'shape', shape: [2], datatype: 'INT64', data: [1, 4]},
      ],
    })
    expect(overHttp.json).toMatchObject({outputs: [{name: 'Y', datatype: 'FP32', shape: [1, 3, 4], data: expanded}]})
    const typed = await grpc.call('ModelInfer', {
      model_name: 'expand',
      inputs: [
        {name: 'X', datatype: 'FP32', shape: [1, 3, 1], contents: {fp32_contents: x}},
        {name: 'shape', datatype: 'INT64', shape: [2], contents: {int64_contents: [1, 4]}},
      ],
    })
    expect(typed.outputs[0]).toMatchObject({name: 'Y', shape: [1, 3, 4], contents: {fp32_contents: expanded}})
    const raw = await grpc.call('ModelInfer', {
      model_name: 'expand',
      inputs: [
        {name: 'X', datatype: 'FP32', shape: [1, 3, 1]},
        {name: 'shape', datatype: 'INT64', shape: [2]},
      ],
      raw_input_contents: [Buffer.from(new Float32Array(x).buffer), Buffer.from(new BigInt64Array([1n, 4n]).buffer)],
    })
    expect(Array.from(new Float32Array(new Uint8Array(raw.raw_output_contents[0] as Buffer).buffer))).toEqual(expanded)
    const wrongShape = await post(`${http}/v2/models/expand/infer`, {
      inputs: [
        {name: 'X', shape: [3, 1], datatype: 'FP32', data: x},
        {name: 'shape', shape: [2], datatype: 'INT64', data: [1, 4]},
      ],
    })
    expect(wrongShape).toMatchObject({status: 400, json: {error: expect.stringMatching(/expects \[1,3,1\]/)}})

    // Concurrent requests to models without a shared batch dimension, or with a fixed one, each run alone.
    const stack = (rowsOfA: number, i: number) => ({
      inputs: [
        {name: 'a', datatype: 'FP32', shape: [rowsOfA, 2], data: Array(rowsOfA * 2).fill(i)},
        {name: 'b', datatype: 'FP32', shape: [1, 2], data: [100 + i, 100 + i]},
      ],
    })
    const fixed = (i: number) => ({inputs: [{name: 'features', datatype: 'FP32', shape: [1, 4], data: [i, 0, 0, 1]}]})
    const count = 24
    const responses = await Promise.all(
      Array.from({length: count}, (_, i) =>
        Promise.all([
          post(`${http}/v2/models/stack/infer`, stack(1 + (i % 2), i)),
          i % 2 === 0
            ? grpc.call('ModelInfer', {
                model_name: 'stack',
                inputs: stack(1, i).inputs.map(({data, ...header}) => ({...header, contents: {fp32_contents: data}})),
              })
            : post(`${http}/v2/models/fixed/infer`, fixed(i)),
        ]),
      ),
    )
    responses.forEach(([stacked, other], i) => {
      const rowsOfA = 1 + (i % 2)
      expect(stacked.json.outputs?.[0], `stack request ${i}`).toEqual({
        name: 'rows',
        datatype: 'FP32',
        shape: [rowsOfA + 1, 2],
        data: [...Array(rowsOfA * 2).fill(i), 100 + i, 100 + i],
      })
      if (i % 2 === 0) expect(other.outputs[0].contents.fp32_contents).toEqual([i, i, 100 + i, 100 + i])
      else expect(other.status, `fixed request ${i}`).toBe(200)
    })
    const metrics = await (await fetch(`${http}/metrics`)).text()
    for (const model of ['stack', 'fixed']) {
      const runs = histogram(metrics, 'mlctl_batch_requests', `model="${model}"`)
      expect(runs.sum, model).toBe(runs.count)
    }
  })

  it('predicts classes with names and probabilities on POST /predict', async () => {
    const data = images(2, 2)
    const expected = await reference(LENET, 'input', data, [2, 1, 28, 28])
    const response = await post(`${http}/predict`, {
      instances: [Array.from(data.subarray(0, 784)), Array.from(data.subarray(784))],
    })
    expect(response.status).toBe(200)
    expect(response.json.model_name).toBe('lenet')
    response.json.predictions.forEach((prediction: any, row: number) => {
      const probabilities = expected.probabilities.slice(row * 10, row * 10 + 10)
      const best = probabilities.indexOf(Math.max(...probabilities))
      expect(prediction).toEqual({class: best, label: String(best), probability: probabilities[best], probabilities})
    })
    const tabular = await post(`${http}/predict?model=tab`, {instances: [[1, 2, 3, 4]]})
    expect(tabular.json.predictions[0].probabilities.reduce((a: number, b: number) => a + b)).toBeCloseTo(1, 5)
  })

  it('serves every gRPC method, raw and typed contents alike, exactly as onnxruntime does in process', async () => {
    expect(await grpc.call('ServerLive', {})).toEqual({live: true})
    expect(await grpc.call('ServerReady', {})).toEqual({ready: true})
    expect(await grpc.call('ModelReady', {name: 'lenet', version: ''})).toEqual({ready: true})
    expect(await grpc.call('ServerMetadata', {})).toEqual({
      name: 'mlctl',
      version: VERSION,
      extensions: ['model_repository'],
    })
    const metadata = await grpc.call('ModelMetadata', {name: 'tab'})
    expect(metadata.inputs).toEqual([{name: 'features', datatype: 'FP32', shape: [-1, 4]}])
    expect(await grpc.health()).toEqual({status: 'SERVING'})
    expect(await grpc.health('inference.GRPCInferenceService')).toEqual({status: 'SERVING'})

    const data = images(2, 3)
    const expected = await reference(LENET, 'input', data, [2, 1, 28, 28])
    const raw = await grpc.call('ModelInfer', {
      model_name: 'lenet',
      id: 'g1',
      inputs: [{name: 'input', datatype: 'FP32', shape: [2, 1, 28, 28]}],
      outputs: [{name: 'logits'}],
      raw_input_contents: [Buffer.from(data.buffer)],
    })
    expect(raw.id).toBe('g1')
    expect(raw.outputs).toMatchObject([{name: 'logits', datatype: 'FP32', shape: [2, 10], contents: null}])
    const logits = raw.raw_output_contents[0] as Buffer
    expect(
      Array.from(new Float32Array(logits.buffer.slice(logits.byteOffset, logits.byteOffset + logits.byteLength))),
    ).toEqual(expected.logits)

    const typed = await grpc.call('ModelInfer', {
      model_name: 'lenet',
      inputs: [{name: 'input', datatype: 'FP32', shape: [2, 1, 28, 28], contents: {fp32_contents: Array.from(data)}}],
    })
    expect(typed.raw_output_contents).toEqual([])
    expect(typed.outputs.map((output: any) => output.contents.fp32_contents)).toEqual([
      expected.logits,
      expected.probabilities,
    ])
  })

  it('merges concurrent requests into batches and gives each request its own results', async () => {
    const count = 48
    const inputs = Array.from({length: count}, (_, i) => images(1, 100 + i))
    const expected = await Promise.all(inputs.map((data) => reference(LENET, 'input', data, [1, 1, 28, 28])))
    const before = histogram(await (await fetch(`${http}/metrics`)).text(), 'mlctl_batch_size', 'model="lenet"')
    const responses = await Promise.all([
      ...inputs
        .slice(0, count / 2)
        .map((data, i) => post(`${http}/v2/models/lenet/infer`, lenetRequest(data, {id: String(i)}))),
      ...inputs.slice(count / 2).map((data) =>
        grpc.call('ModelInfer', {
          model_name: 'lenet',
          inputs: [{name: 'input', datatype: 'FP32', shape: [1, 1, 28, 28]}],
          raw_input_contents: [Buffer.from(data.buffer)],
        }),
      ),
    ])
    responses.slice(0, count / 2).forEach((response, i) => {
      expect(response.json.id).toBe(String(i))
      expect(response.json.outputs[0].data).toEqual(expected[i].logits)
    })
    responses.slice(count / 2).forEach((response, i) => {
      const bytes = response.raw_output_contents[0] as Buffer
      expect(Array.from(new Float32Array(new Uint8Array(bytes).buffer))).toEqual(expected[count / 2 + i].logits)
    })
    const metrics = await (await fetch(`${http}/metrics`)).text()
    const after = histogram(metrics, 'mlctl_batch_size', 'model="lenet"')
    expect(after.sum - before.sum).toBe(count)
    expect(after.count - before.count).toBeLessThan(count) // some runs held more than one request
    expect(metrics).toMatch(/mlctl_requests_total\{protocol="grpc",endpoint="infer",model="lenet",status="OK"\} \d+/)
    expect(metrics).toMatch(/mlctl_inference_duration_seconds_count\{model="lenet"\} \d+/)
    expect(metrics).toMatch(/mlctl_queue_depth\{model="lenet"\} 0/)
  })

  it('answers each kind of bad HTTP input with its status and keeps serving', async () => {
    const url = `${http}/v2/models/lenet/infer`
    const one = images(1, 4)
    const cases: Array<[string, unknown, number, RegExp]> = [
      ['malformed JSON', '{"inputs": [', 400, /not valid JSON/],
      [
        'NaN literal',
        '{"inputs":[{"name":"input","shape":[1],"datatype":"FP32","data":[NaN]}]}',
        400,
        /not valid JSON/,
      ],
      ['no inputs', {}, 400, /"inputs" must be a non-empty array/],
      ['missing data', {inputs: [{name: 'input', shape: [1, 1, 28, 28], datatype: 'FP32'}]}, 400, /needs "data"/],
      [
        'wrong count',
        {inputs: [{name: 'input', shape: [1, 1, 28, 28], datatype: 'FP32', data: [1, 2, 3]}]},
        400,
        /has 3 values/,
      ],
      [
        'wrong shape',
        {inputs: [{name: 'input', shape: [1, 784], datatype: 'FP32', data: Array.from(one)}]},
        400,
        /expects \[-1,1,28,28\]/,
      ],
      [
        'wrong datatype',
        {inputs: [{name: 'input', shape: [1, 1, 28, 28], datatype: 'FP64', data: Array.from(one)}]},
        400,
        /datatype FP64 but the model expects FP32/,
      ],
      [
        'unknown datatype',
        {inputs: [{name: 'input', shape: [1], datatype: 'FLOAT', data: [1]}]},
        400,
        /datatype "FLOAT"/,
      ],
      [
        'string for NaN',
        {
          inputs: [
            {name: 'input', shape: [1, 1, 28, 28], datatype: 'FP32', data: ['NaN', ...Array.from(one).slice(1)]},
          ],
        },
        400,
        /not a number/,
      ],
      [
        'wrong input name',
        {inputs: [{name: 'image', shape: [1, 1, 28, 28], datatype: 'FP32', data: Array.from(one)}]},
        400,
        /unknown input "image"/,
      ],
      ['unknown output', lenetRequest(one, {outputs: [{name: 'embedding'}]}), 400, /unknown output "embedding"/],
      [
        'data nested 100,000 deep',
        `{"inputs":[{"name":"input","shape":[1],"datatype":"INT32","data":${'['.repeat(100_000)}1${']'.repeat(100_000)}}]}`,
        400,
        /nested deeper than 64 levels/,
      ],
      [
        'too large',
        {inputs: [{name: 'input', shape: [1], datatype: 'FP32', data: new Array(500_000).fill(0.123456)}]},
        413,
        /larger than 2097152 bytes/,
      ],
    ]
    for (const [what, body, expectedStatus, message] of cases) {
      const response = await post(url, body)
      expect(response.status, what).toBe(expectedStatus)
      expect(response.json.error, what).toMatch(message)
    }
    expect((await post(`${http}/predict`, {instances: [[1, 2]]})).status).toBe(400)
    expect((await get(`${http}/v2/models/lenet/infer`)).status).toBe(400)
    expect((await post(url, lenetRequest(one))).status).toBe(200)
  })

  it('answers each kind of bad gRPC input with its status code and keeps serving', async () => {
    const request = (contents: Buffer, shape = [1, 1, 28, 28], datatype = 'FP32') => ({
      model_name: 'lenet',
      inputs: [{name: 'input', datatype, shape}],
      raw_input_contents: [contents],
    })
    const nan = images(1, 5)
    nan[17] = Number.NaN
    const cases: Array<[string, object, status, RegExp]> = [
      ['NaN', request(Buffer.from(nan.buffer)), status.INVALID_ARGUMENT, /non-finite value \(NaN\) at element 17/],
      ['short raw', request(Buffer.alloc(100)), status.INVALID_ARGUMENT, /have 100 bytes/],
      ['wrong shape', request(Buffer.alloc(784 * 4), [1, 784]), status.INVALID_ARGUMENT, /expects \[-1,1,28,28\]/],
      [
        'no contents',
        {model_name: 'lenet', inputs: [{name: 'input', datatype: 'FP32', shape: [1, 1, 28, 28]}]},
        status.INVALID_ARGUMENT,
        /no fp32_contents/,
      ],
      [
        'unknown model',
        {...request(Buffer.alloc(784 * 4)), model_name: 'nope'},
        status.NOT_FOUND,
        /unknown model "nope"/,
      ],
      ['too large', request(Buffer.alloc(3 * 1024 * 1024)), status.RESOURCE_EXHAUSTED, /larger than max/],
      [
        'contents and raw contents',
        {
          ...request(Buffer.from(images(1, 5).buffer)),
          inputs: [
            {name: 'input', datatype: 'FP32', shape: [1, 1, 28, 28], contents: {fp32_contents: Array(10).fill(1)}},
          ],
        },
        status.INVALID_ARGUMENT,
        /input "input" has contents while the request sends raw_input_contents/,
      ],
      [
        'too few typed contents',
        {
          model_name: 'lenet',
          inputs: [
            {name: 'input', datatype: 'FP32', shape: [1, 1, 28, 28], contents: {fp32_contents: Array(10).fill(1)}},
          ],
        },
        status.INVALID_ARGUMENT,
        /has 10 values but shape \[1,1,28,28\] needs 784/,
      ],
      [
        'values in the wrong contents field',
        {model_name: 'lenet', inputs: [{name: 'input', datatype: 'FP32', shape: [1], contents: {int_contents: [1]}}]},
        status.INVALID_ARGUMENT,
        /is FP32 but sends int_contents; put its values in fp32_contents/,
      ],
    ]
    for (const [what, body, code, message] of cases) {
      const error = await grpc.call('ModelInfer', body).then(
        () => undefined,
        (err) => err,
      )
      expect(error?.code, what).toBe(code)
      expect(error?.details, what).toMatch(message)
    }
    const sendBytes = (bytes: Buffer) =>
      new Promise<any>((resolve) => {
        grpc.raw.makeUnaryRequest(
          '/inference.GRPCInferenceService/ModelInfer',
          (message: Buffer) => message,
          (message: Buffer) => message,
          bytes,
          new Metadata(),
          (err) => resolve(err),
        )
      })
    const valid = loadGrpcServices().inference.service.ModelInfer.requestSerialize(request(Buffer.alloc(784 * 4)))
    // 0xff 0xff: a truncated number; 0x00 0x00: field number 0; 0x0a 0x05 0x61: a string cut short
    for (const bytes of [
      [0xff, 0xff],
      [...valid, 0x00, 0x00],
      [...valid, 0x0a, 0x05, 0x61],
    ]) {
      const malformed = await sendBytes(Buffer.from(bytes))
      expect(malformed?.code, String(bytes.slice(-3))).toBe(status.INVALID_ARGUMENT)
      expect(malformed?.details).toMatch(/not a valid protobuf message/)
    }
    expect(await grpc.call('ModelReady', {name: 'lenet'})).toEqual({ready: true})
  })

  it('quotes at most 100 characters of a name the client sent in an error, over gRPC and HTTP', async () => {
    const long = 'm'.repeat(10_000)
    const quoted = `"${'m'.repeat(100)}…"`
    const unknownModel = await grpc.call('ModelInfer', {model_name: long}).catch((err) => err)
    expect(unknownModel.code).toBe(status.NOT_FOUND)
    expect(unknownModel.details).toContain(`unknown model ${quoted}; this server has "lenet"`)
    const unknownInput = await grpc
      .call('ModelInfer', {
        model_name: 'lenet',
        inputs: [{name: long, datatype: 'FP32', shape: [1, 1, 28, 28], contents: {fp32_contents: [1]}}],
      })
      .catch((err) => err)
    expect(unknownInput.code).toBe(status.INVALID_ARGUMENT)
    expect(unknownInput.details).toMatch(/^input "m{100}…" has 1 values but shape \[1,1,28,28\] needs 784$/)
    const overHttp = await get(`${http}/v2/models/${long}`)
    expect(overHttp.status).toBe(404)
    expect(overHttp.json.error).toContain(`unknown model ${quoted}`)
    expect(overHttp.json.error.length).toBeLessThan(300)
  })

  it('on SIGTERM answers every request in flight, then exits 0', async () => {
    const data = images(64, 6)
    const expected = await reference(LENET, 'input', data, [64, 1, 28, 28])
    const body = JSON.stringify(lenetRequest(data))
    // The gRPC channel may have been dropped by an earlier test's bad input: connect it before anything is in flight.
    await grpc.call('ServerLive', {})
    const inFlight = Array.from({length: 12}, () => post(`${http}/v2/models/lenet/infer`, body))
    const grpcInFlight = Array.from({length: 12}, () =>
      grpc.call('ModelInfer', {
        model_name: 'lenet',
        inputs: [{name: 'input', datatype: 'FP32', shape: [64, 1, 28, 28]}],
        raw_input_contents: [Buffer.from(data.buffer)],
      }),
    )
    let answered = 0
    for (const pending of [...inFlight, ...grpcInFlight])
      void pending.then(
        () => answered++,
        () => undefined,
      )
    await new Promise((resolve) => setTimeout(resolve, 30))
    const answeredBeforeSignal = answered
    const exitCode = server.stop('SIGTERM')
    expect(answeredBeforeSignal).toBeLessThan(inFlight.length + grpcInFlight.length)
    for (const response of await Promise.all(inFlight)) {
      expect(response.status).toBe(200)
      expect(response.json.outputs[0].data).toEqual(expected.logits)
    }
    for (const response of await Promise.all(grpcInFlight)) expect(response.outputs[0].shape).toEqual([64, 10])
    expect(await exitCode).toBe(0)
    expect(server.output()).toContain('Stopped.')
  })
})

describe('mlctl serve on SIGTERM', () => {
  it('answers every request already sent, on kept-alive connections and on ones not yet accepted, then exits 0', async () => {
    const server = await startServe([LENET])
    const url = `${server.httpUrl}/v2/models/lenet/infer`
    const body = JSON.stringify(lenetRequest(images(1, 12)))
    const keepAlive = new Agent({keepAlive: true})
    // 50 connections that have answered a request and wait for the next one.
    const warmUp = await Promise.all(Array.from({length: 50}, () => sendRequest(url, body, keepAlive).status))
    expect(warmUp).toEqual(Array(50).fill(200))
    // A stopped server reads nothing, but the kernel still accepts its connections and their bytes: the requests
    // then wait on its sockets, as they do when the server is busy.
    server.child.kill('SIGSTOP')
    const requests = Array.from({length: 100}, (_, i) => sendRequest(url, body, i % 2 === 0 ? keepAlive : false))
    await Promise.all(requests.map((pending) => pending.sent))
    const exitCode = server.stop('SIGTERM')
    server.child.kill('SIGCONT')
    expect(await Promise.all(requests.map((pending) => pending.status.catch((err: Error) => err.message)))).toEqual(
      Array(100).fill(200),
    )
    expect(await exitCode).toBe(0)
    keepAlive.destroy()
  })
})

// Also the one server here that parses every body on its request-handling thread (--decode-threads 0).
describe('mlctl serve with an API key and a small queue', () => {
  let server: ServeProcess
  let grpc: GrpcClients
  const KEY = 'test-key-123'

  beforeAll(async () => {
    server = await startServe(
      [`${FIXTURES}/lenet.onnx`, '--max-queue', '1', '--max-batch-size', '1', '--decode-threads', '0'],
      {MLCTL_API_KEY: KEY},
    )
    grpc = grpcClients(server.grpcAddress)
  })

  afterAll(async () => {
    grpc.close()
    expect(await server.stop()).toBe(0)
  })

  it('requires the key everywhere but liveness, over HTTP and gRPC', async () => {
    const auth = {authorization: `Bearer ${KEY}`}
    expect((await get(`${server.httpUrl}/v2/health/live`)).status).toBe(200)
    for (const path of ['/v2/health/ready', '/v2', '/v2/models/lenet', '/metrics']) {
      expect((await fetch(`${server.httpUrl}${path}`)).status, path).toBe(401)
      expect((await fetch(`${server.httpUrl}${path}`, {headers: {authorization: 'Bearer wrong'}})).status, path).toBe(
        401,
      )
      expect((await fetch(`${server.httpUrl}${path}`, {headers: auth})).status, path).toBe(200)
    }
    const unauthorized = await post(`${server.httpUrl}/v2/models/lenet/infer`, lenetRequest(images(1, 7)))
    expect(unauthorized).toEqual({status: 401, json: {error: expect.stringMatching(/API key/)}})
    expect((await post(`${server.httpUrl}/v2/models/lenet/infer`, lenetRequest(images(1, 7)), auth)).status).toBe(200)

    expect(await grpc.call('ServerLive', {})).toEqual({live: true})
    expect(await grpc.health()).toEqual({status: 'SERVING'})
    await expect(grpc.call('ServerReady', {})).rejects.toMatchObject({code: status.UNAUTHENTICATED})
    await expect(grpc.call('ServerReady', {}, 'wrong')).rejects.toMatchObject({code: status.UNAUTHENTICATED})
    expect(await grpc.call('ServerReady', {}, KEY)).toEqual({ready: true})
  })

  it('refuses a request without the key when its headers arrive, without reading its body', async () => {
    const {hostname, port} = new URL(server.httpUrl)
    const socket = connect(Number(port), hostname)
    socket.on('error', () => undefined)
    const response = new Promise<string>((resolve) => {
      let text = ''
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')))
      socket.on('close', () => resolve(text))
    })
    // A 16 MB upload of which only the first 64 KB are ever sent: the answer must not wait for the rest.
    socket.write(`POST /v2/models/lenet/infer HTTP/1.1\r\nHost: mlctl\r\nContent-Length: ${16 * 1024 * 1024}\r\n\r\n`)
    socket.write(Buffer.alloc(64 * 1024, ' '))
    const text = await response
    expect(text).toMatch(/^HTTP\/1\.1 401 /)
    expect(text).toMatch(/\r\nconnection: close\r\n/i)
    expect(text).toContain('missing or wrong API key')
    // With the key, the same request is read and answered, compressed or not.
    const body = JSON.stringify(lenetRequest(images(1, 14)))
    const auth = {authorization: `Bearer ${KEY}`}
    expect((await post(`${server.httpUrl}/v2/models/lenet/infer`, body, auth)).status).toBe(200)
    const compressed = await post(`${server.httpUrl}/v2/models/lenet/infer`, gzipSync(body), {
      ...auth,
      'content-encoding': 'gzip',
    })
    expect(compressed.status).toBe(200)
  })

  it('refuses requests beyond --max-queue with 503 / UNAVAILABLE instead of piling them up', async () => {
    const data = images(64, 8)
    const headers = {authorization: `Bearer ${KEY}`}
    // 64-image gRPC requests keep the model busy for milliseconds; small HTTP requests arrive meanwhile.
    const body = JSON.stringify(lenetRequest(images(1, 9)))
    const raw = {
      model_name: 'lenet',
      inputs: [{name: 'input', datatype: 'FP32', shape: [64, 1, 28, 28]}],
      raw_input_contents: [Buffer.from(data.buffer)],
    }
    // Whether the queue is full when a request arrives depends on the machine's timing (a stalled client can send
    // them spread out), so the burst is repeated until both protocols have met a full queue, up to five times.
    const httpStatuses: number[] = []
    const grpcCodes: status[] = []
    for (let round = 0; round < 5 && !(httpStatuses.includes(503) && grpcCodes.includes(status.UNAVAILABLE)); round++) {
      const [grpcRound, httpRound] = await Promise.all([
        Promise.all(
          Array.from({length: 16}, () =>
            grpc.call('ModelInfer', raw, KEY).then(
              () => status.OK,
              (err) => err.code,
            ),
          ),
        ),
        Promise.all(
          Array.from({length: 48}, () =>
            post(`${server.httpUrl}/v2/models/lenet/infer`, body, headers).then((r) => r.status),
          ),
        ),
      ])
      grpcCodes.push(...grpcRound)
      httpStatuses.push(...httpRound)
    }
    expect(httpStatuses).toContain(200)
    expect(httpStatuses).toContain(503)
    expect(httpStatuses.every((code) => code === 200 || code === 503)).toBe(true)
    expect(grpcCodes.every((code) => code === status.OK || code === status.UNAVAILABLE)).toBe(true)
    expect(grpcCodes).toContain(status.UNAVAILABLE)
    expect((await post(`${server.httpUrl}/v2/models/lenet/infer`, body, headers)).status).toBe(200)
  })
})

describe('mlctl serve --processes 2', () => {
  it('serves from two processes on the same ports, merges their metrics and stops both gracefully', async () => {
    const server = await startServe([LENET, '--processes', '2'])
    expect(server.output()).toContain('serving 1 model in 2 processes')
    const grpc = grpcClients(server.grpcAddress)
    const inputs = Array.from({length: 30}, (_, i) => images(1, 200 + i))
    const expected = await Promise.all(inputs.map((data) => reference(LENET, 'input', data, [1, 1, 28, 28])))
    const http = inputs.slice(0, 20).map((data) => post(`${server.httpUrl}/v2/models/lenet/infer`, lenetRequest(data)))
    const rpc = inputs.slice(20).map((data) =>
      grpc.call('ModelInfer', {
        model_name: 'lenet',
        inputs: [{name: 'input', datatype: 'FP32', shape: [1, 1, 28, 28]}],
        raw_input_contents: [Buffer.from(data.buffer)],
      }),
    )
    const responses = await Promise.all([...http, ...rpc])
    responses.slice(0, 20).forEach((response, i) => expect(response.json.outputs[0].data).toEqual(expected[i].logits))
    responses.slice(20).forEach((response, i) => {
      const bytes = new Uint8Array(response.raw_output_contents[0] as Buffer)
      expect(Array.from(new Float32Array(bytes.buffer))).toEqual(expected[20 + i].logits)
    })
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text()
    expect(metrics).toContain('mlctl_requests_total{protocol="http",endpoint="infer",model="lenet",status="200"} 20')
    expect(metrics).toContain('mlctl_requests_total{protocol="grpc",endpoint="infer",model="lenet",status="OK"} 10')
    grpc.close()

    const inFlight = Array.from({length: 8}, () =>
      post(`${server.httpUrl}/v2/models/lenet/infer`, lenetRequest(images(64, 11))),
    )
    await new Promise((resolve) => setTimeout(resolve, 20))
    const exitCode = server.stop('SIGTERM')
    for (const response of await Promise.all(inFlight)) expect(response.status).toBe(200)
    expect(await exitCode).toBe(0)
    expect(server.output()).toContain('Stopped.')
  })
})

describe('mlctl serve start-up errors', () => {
  it('names the problem when the file is not an ONNX model, its opset is too old, or the port is taken', async () => {
    const notOnnx = await startServe([`${FIXTURES}/make_fixtures.py`]).catch((err: Error) => err.message)
    expect(notOnnx).toMatch(/cannot load .*make_fixtures\.py as an ONNX model/)
    const old = join(mkdtempSync(join(tmpdir(), 'mlctl-serve-opset-')), 'old.onnx')
    writeFileSync(old, opset6Model('AveragePool'))
    const tooOld = await startServe([old]).catch((err: Error) => err.message)
    expect(tooOld).toMatch(/cannot serve .*old\.onnx: it uses ONNX opset 6, and onnxruntime needs opset 7 or later/)
    const first = await startServe([LENET])
    const port = new URL(first.httpUrl).port
    const second = spawnSync('node', ['bin/run.js', 'serve', LENET, '--port', port, '--grpc-port', '0'], {
      encoding: 'utf8',
    })
    expect(second.status).toBe(1)
    expect(second.stderr).toMatch(new RegExp(`HTTP port ${port} is in use; pick another with --port`))
    expect(await first.stop()).toBe(0)
  })
})

import {status} from '@grpc/grpc-js'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {fromMetadataProps} from '../../src/core/onnx/model-metadata.js'
import {readOnnxMetadataProps} from '../../src/core/onnx/metadata-props.js'
import {bytesToRaw} from '../../src/core/serve/bytes-tensor.js'
import {ModelTokenIds, textModelInputOf} from '../../src/core/text/model-token-ids.js'
import {mlctl} from '../helpers/mlctl-cli.js'
import {labelledReviews, reviewsCsv} from '../text/labelled-reviews.js'
import {FIXTURES, grpcClients, startServe, type GrpcClients, type ServeProcess} from './serve-process.js'

const tmp = mkdtempSync(join(tmpdir(), 'mlctl-text-infer-'))
const MODELS = ['bigrams', 'textcnn'] as const
const onnx: Record<string, string> = {}
/** predict's probabilities of neg and pos for each held-out review, per model */
const expected: Record<string, number[][]> = {}
// Up to 20 filler words: texts from 2 tokens to past the trained sequence length (cut to it).
const held = labelledReviews(40, 7, 20).map((r) => r.review)
let server: ServeProcess
let grpc: GrpcClients

beforeAll(async () => {
  const data = join(tmp, 'reviews.csv')
  writeFileSync(data, reviewsCsv(labelledReviews(300, 1)))
  const heldTxt = join(tmp, 'held.txt')
  writeFileSync(heldTxt, `${held.join('\n')}\n`)
  for (const name of MODELS) {
    const out = join(tmp, name)
    const model = name === 'bigrams' ? ['bag', '--ngrams', '2'] : ['textcnn']
    const train = mlctl([
      'train', '--data', data, '--text-column', 'review', '--target', 'label', '--model', ...model,
      '--epochs', '4', '--lr', '0.02', '--out', out, '--threads', '1',
    ]) // prettier-ignore
    expect(train.code, train.stderr).toBe(0)
    expect(mlctl(['export-onnx', out]).code).toBe(0)
    onnx[name] = join(out, 'model.onnx')
    // --batch-size 1: each text padded only to its own length, the reference padding cannot have changed.
    const predicted = mlctl(['predict', onnx[name], heldTxt, '--top-k', '2', '--batch-size', '1', '--json'])
    expect(predicted.code, predicted.stderr).toBe(0)
    const predictions = (
      JSON.parse(predicted.stdout) as {predictions: Array<{top: Array<{label: string; probability: number}>}>}
    ).predictions
    expected[name] = predictions.map((p) =>
      ['neg', 'pos'].map((label) => p.top.find((t) => t.label === label)!.probability),
    )
  }
  // A queue delay, so that concurrent requests merge into shared batches of texts of different lengths.
  server = await startServe([
    '--model', `bigrams=${onnx.bigrams}`, '--model', `textcnn=${onnx.textcnn}`,
    '--model', `tabular=${FIXTURES}/tabular.onnx`, '--max-queue-delay-ms', '20',
  ]) // prettier-ignore
  grpc = grpcClients(server.grpcAddress)
}, 120_000)

afterAll(async () => {
  grpc?.close()
  await server?.stop()
  rmSync(tmp, {recursive: true, force: true})
})

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.httpUrl}${path}`, {
    method: 'POST',
    headers: {'content-type': 'application/json', ...headers},
    body: Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body),
  })
  return {status: response.status, json: await response.json()}
}

/** Softmax of [N, 2] logits, per row. */
function probabilities(logits: ArrayLike<number>): number[][] {
  return Array.from({length: logits.length / 2}, (_, row) => {
    const [a, b] = [logits[2 * row], logits[2 * row + 1]]
    const max = Math.max(a, b)
    const sum = Math.exp(a - max) + Math.exp(b - max)
    return [Math.exp(a - max) / sum, Math.exp(b - max) / sum]
  })
}

function expectPredicted(name: string, served: number[][], from = 0) {
  served.forEach((row, i) => row.forEach((p, c) => expect(p).toBeCloseTo(expected[name][from + i][c], 6)))
}

const floats = (bytes: Buffer) =>
  new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))

describe('OIP inference with texts (a BYTES input)', () => {
  it("shows a text model's input as one BYTES tensor over HTTP and gRPC, and other models' as they are", async () => {
    const http = await (await fetch(`${server.httpUrl}/v2/models/textcnn`)).json()
    expect(http.inputs).toEqual([{name: 'text', datatype: 'BYTES', shape: [-1]}])
    expect(JSON.parse(http.properties.text_input)).toMatchObject({padId: 0})
    const metadata = await grpc.call('ModelMetadata', {name: 'bigrams'})
    expect(metadata.inputs).toEqual([{name: 'text', datatype: 'BYTES', shape: [-1]}])
    expect(metadata.outputs).toEqual([{name: 'logits', datatype: 'FP32', shape: [-1, 2]}])
    expect((await grpc.call('ModelMetadata', {name: 'tabular'})).inputs[0].datatype).toBe('FP32')
    expect(server.output()).toContain('text BYTES[-1] (or input_ids INT64[-1,-1], attention_mask INT64[-1,-1])')
  })

  it.each(MODELS)(
    "%s: JSON strings, binary data, gRPC bytes_contents and raw contents all give predict's probabilities, merged into batches or not",
    async (name) => {
      // Chunks of 1 to 15 texts of different lengths, all in flight at once over four encodings.
      const chunks = [
        [0, 1],
        [1, 15],
        [15, 16],
        [16, 25],
        [25, 33],
        [33, 40],
      ]
      const requests = chunks.map(async ([from, to], k) => {
        const texts = held.slice(from, to)
        const shape = [texts.length]
        let logits: ArrayLike<number>
        if (k % 4 === 0) {
          const answer = await post(`/v2/models/${name}/infer`, {
            inputs: [{name: 'text', datatype: 'BYTES', shape, data: texts}],
          })
          expect(answer.status, JSON.stringify(answer.json)).toBe(200)
          logits = answer.json.outputs[0].data
        } else if (k % 4 === 1) {
          const raw = bytesToRaw(texts)
          const header = Buffer.from(
            JSON.stringify({
              inputs: [
                {name: 'text', datatype: 'BYTES', shape: [texts.length, 1], parameters: {binary_data_size: raw.length}},
              ],
            }),
          )
          const answer = await post(`/v2/models/${name}/infer`, Buffer.concat([header, raw]), {
            'content-type': 'application/octet-stream',
            'inference-header-content-length': String(header.length),
          })
          expect(answer.status, JSON.stringify(answer.json)).toBe(200)
          logits = answer.json.outputs[0].data
        } else if (k % 4 === 2) {
          const answer = await grpc.call('ModelInfer', {
            model_name: name,
            inputs: [
              {name: 'text', datatype: 'BYTES', shape, contents: {bytes_contents: texts.map((t) => Buffer.from(t))}},
            ],
          })
          logits = answer.outputs[0].contents.fp32_contents
        } else {
          const answer = await grpc.call('ModelInfer', {
            model_name: name,
            inputs: [{name: 'text', datatype: 'BYTES', shape}],
            raw_input_contents: [bytesToRaw(texts)],
          })
          logits = floats(answer.raw_output_contents[0])
        }
        expectPredicted(name, probabilities(logits), from)
      })
      await Promise.all(requests)
      const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text()
      const merged = new RegExp(`mlctl_batch_requests_bucket\\{le="1",model="${name}"\\} (\\d+)`).exec(metrics)
      const runs = new RegExp(`mlctl_batch_requests_count\\{model="${name}"\\} (\\d+)`).exec(metrics)
      // Some run served more than one request.
      expect(Number(merged![1])).toBeLessThan(Number(runs![1]))
    },
  )

  it('decodes a large JSON request of texts on the decoder thread with the same answers', async () => {
    // 5 copies of the held-out reviews: over 4 KB of JSON, which the server parses off its connection thread.
    const texts = Array.from({length: 5}, () => held).flat()
    const answer = await post('/v2/models/bigrams/infer', {
      inputs: [{name: 'text', datatype: 'BYTES', shape: [texts.length], data: texts}],
    })
    expect(JSON.stringify({data: texts}).length).toBeGreaterThan(4096)
    expect(answer.status).toBe(200)
    const served = probabilities(answer.json.outputs[0].data)
    for (let copy = 0; copy < 5; copy++)
      expectPredicted('bigrams', served.slice(copy * held.length, (copy + 1) * held.length))
  })

  it('still takes token ids as INT64 input_ids and attention_mask, padded to any length, with the same answers', async () => {
    const {metadata} = fromMetadataProps(await readOnnxMetadataProps(onnx.textcnn))
    const tokens = new ModelTokenIds(textModelInputOf(metadata, 'textcnn')!)
    const texts = held.slice(0, 3)
    for (const pad of ['model', 'longest'] as const) {
      const {ids, width} = tokens.encode(texts, pad)
      const shape = [texts.length, width]
      const answer = await post('/v2/models/textcnn/infer', {
        inputs: [
          {name: 'input_ids', datatype: 'INT64', shape, data: Array.from(ids)},
          {name: 'attention_mask', datatype: 'INT64', shape, data: Array.from(ids, (id) => (id === 0 ? 0 : 1))},
        ],
      })
      expect(answer.status).toBe(200)
      expectPredicted('textcnn', probabilities(answer.json.outputs[0].data))
    }
  })

  it('answers a bad text input with 400 / INVALID_ARGUMENT and a one-line message', async () => {
    const infer = (model: string, input: object) => post(`/v2/models/${model}/infer`, {inputs: [input]})
    const cases: Array<[string, object, RegExp]> = [
      [
        'bigrams',
        {name: 'text', datatype: 'FP32', shape: [1], data: [1]},
        /input "text" has datatype FP32 but the model expects BYTES/,
      ],
      [
        'bigrams',
        {name: 'text', datatype: 'BYTES', shape: [1, 2], data: ['a', 'b']},
        /has shape \[1,2\] but the model expects \[-1\]/,
      ],
      [
        'bigrams',
        {name: 'review', datatype: 'BYTES', shape: [1], data: ['a']},
        /unknown input "review"; model "bigrams" takes "text"/,
      ],
      ['bigrams', {name: 'text', datatype: 'BYTES', shape: [0], data: []}, /holds no text/],
      [
        'tabular',
        {name: 'features', datatype: 'BYTES', shape: [1], data: ['a']},
        /has datatype BYTES but the model expects FP32/,
      ],
    ]
    for (const [model, input, message] of cases) {
      const answer = await infer(model, input)
      expect(answer.status).toBe(400)
      expect(answer.json.error).toMatch(message)
      expect(answer.json.error).not.toContain('\n')
    }
    await expect(
      grpc.call('ModelInfer', {
        model_name: 'bigrams',
        inputs: [{name: 'text', datatype: 'BYTES', shape: [2]}],
        raw_input_contents: [Buffer.from([9, 0, 0, 0, 65])],
      }),
    ).rejects.toMatchObject({code: status.INVALID_ARGUMENT, details: expect.stringMatching(/element 0 claims 9 bytes/)})
  })
})

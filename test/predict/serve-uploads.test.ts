import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {writeAnimalsCsv} from '../evaluate/fixtures.js'
import {makeTinyRun} from '../export/tiny-run.js'
import {mlctl} from '../helpers/mlctl-cli.js'
import {histogram, startServe, type ServeProcess} from '../serve/serve-process.js'
import {type DigitFile, writeDigitImages} from './digit-images.js'

const tmp = mkdtempSync(join(tmpdir(), 'mlctl-serve-uploads-'))
let server: ServeProcess
let digits: DigitFile[]
let big: DigitFile
let animals: string

interface Predicted {
  input: string
  label: string
  class: number
  probability: number
}

function predictJson(args: string[]): {code: number | null; predictions: Predicted[]; stderr: string} {
  const {code, stdout, stderr} = mlctl(['predict', ...args, '--json'])
  return {code, predictions: (JSON.parse(stdout) as {predictions: Predicted[]}).predictions, stderr}
}

async function send(path: string, init: RequestInit): Promise<{status: number; json: any}> {
  const url = `${server.httpUrl}${path}`
  // A kept-alive connection idle past the server's keep-alive timeout (a slow test in between) may be closed
  // just as fetch reuses it; fetch retries only idempotent methods itself, so ask again once.
  const response = await fetch(url, init).catch((error: Error & {cause?: {code?: string}}) => {
    if (error.cause?.code !== 'UND_ERR_SOCKET') throw error
    return fetch(url, init)
  })
  return {status: response.status, json: await response.json()}
}

beforeAll(async () => {
  const digitRun = (await makeTinyRun(join(tmp, 'digits-run'), 'mlp', {steps: 20})).dir
  animals = writeAnimalsCsv(join(tmp, 'animals.csv'))
  const tableRun = join(tmp, 'animals-run')
  const trained = mlctl(['train', '--data', animals, '--target', 'animal', '--epochs', '3', '--out', tableRun])
  expect(trained.code, trained.stderr).toBe(0)
  for (const run of [digitRun, tableRun]) {
    const exported = mlctl(['export-onnx', run])
    expect(exported.code, exported.stderr).toBe(0)
  }
  digits = await writeDigitImages(join(tmp, 'digits'), 4)
  ;[big] = await writeDigitImages(join(tmp, 'big'), 1, {scale: 4})
  server = await startServe([
    '--model',
    `digits=${digitRun}`,
    '--model',
    `animals=${tableRun}`,
    '--max-image-pixels',
    '5000',
  ])
}, 120_000)

afterAll(async () => {
  await server?.stop()
  rmSync(tmp, {recursive: true, force: true})
})

describe('serve: images to POST /predict', () => {
  it('answers an uploaded image as mlctl predict does: a bare body (curl -T, PUT), image/png, and a multipart form', async () => {
    const expected = predictJson([join(tmp, 'digits-run', 'model.onnx'), ...digits.map((d) => d.path)]).predictions
    const same = (prediction: any, i: number) => {
      expect(prediction).toMatchObject({class: expected[i].class, label: expected[i].label})
      expect(prediction.probability).toBeCloseTo(expected[i].probability, 6)
      expect(prediction.probabilities).toHaveLength(10)
    }

    const bare = await send('/predict', {method: 'PUT', body: readFileSync(digits[0].path)})
    expect(bare.status, JSON.stringify(bare.json)).toBe(200)
    expect(bare.json.model_name).toBe('digits')
    same(bare.json.predictions[0], 0)

    const typed = await send('/v2/models/digits/predict', {
      method: 'POST',
      headers: {'content-type': 'image/png'},
      body: readFileSync(digits[1].path),
    })
    expect(typed.status).toBe(200)
    same(typed.json.predictions[0], 1)

    const form = new FormData()
    for (const digit of digits) form.append('file', new Blob([readFileSync(digit.path)]), basename(digit.path))
    form.append('note', 'a text field, not a file: left alone')
    const multipart = await send('/predict?model=digits', {method: 'POST', body: form})
    expect(multipart.status).toBe(200)
    expect(multipart.json.predictions.map((p: any) => p.file)).toEqual(digits.map((d) => basename(d.path)))
    multipart.json.predictions.forEach(same)
  })

  it('415 for an unsupported media type, 400 naming an undecodable image, 413 past the pixel limit; metrics count them', async () => {
    const before = histogram(
      await (await fetch(`${server.httpUrl}/metrics`)).text(),
      'mlctl_image_decode_duration_seconds',
      'model="digits"',
    )
    const csv = await send('/predict', {method: 'POST', headers: {'content-type': 'text/csv'}, body: 'a,b\n1,2\n'})
    expect(csv.status).toBe(415)
    expect(csv.json.error).toMatch(/^Content-Type "text\/csv" is not supported by \/predict; send JSON/)
    const bmp = await send('/predict', {method: 'PUT', headers: {'content-type': 'image/bmp'}, body: 'BM....'})
    expect(bmp.status).toBe(415)
    expect(bmp.json.error).toMatch(
      /^Content-Type "image\/bmp" is not supported by \/predict; .*image\/png, image\/webp/,
    )

    const truncated = readFileSync(digits[0].path).subarray(0, 60)
    const broken = await send('/predict', {method: 'POST', headers: {'content-type': 'image/png'}, body: truncated})
    expect(broken.status).toBe(400)
    expect(broken.json.error).toMatch(
      /^the uploaded image is a truncated PNG file|^the uploaded image cannot be decoded as PNG/,
    )

    const form = new FormData()
    form.append('file', new Blob([readFileSync(digits[0].path)]), 'ok.png')
    form.append('file', new Blob([Buffer.alloc(0)]), 'empty.png')
    const empty = await send('/predict', {method: 'POST', body: form})
    expect(empty).toEqual({status: 400, json: {error: 'the uploaded image "empty.png" is empty (0 bytes)'}})

    const huge = await send('/predict', {method: 'PUT', body: readFileSync(big.path)})
    expect(huge.status).toBe(413)
    expect(huge.json.error).toMatch(/^the uploaded image is 112×112 pixels, over the limit of 5000/)

    const toTable = await send('/predict?model=animals', {method: 'PUT', body: readFileSync(digits[0].path)})
    expect(toTable.status).toBe(400)
    expect(toTable.json.error).toMatch(/^model "animals" cannot take images/)

    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text()
    expect(histogram(metrics, 'mlctl_image_decode_duration_seconds', 'model="digits"').count).toBe(before.count + 3)
    expect(metrics).toMatch(/^mlctl_images_total\{model="digits"\} \d+$/m)
  })
})

describe('table rows by column name', () => {
  it('mlctl predict rows.csv predicts every row, leaves out and reports the target, and takes the columns in any order', () => {
    const {code, predictions, stderr} = predictJson([join(tmp, 'animals-run'), animals])
    expect(code, stderr).toBe(0)
    expect(stderr).toMatch(/^Left out column animal: the model predicts it$/m)
    expect(predictions).toHaveLength(60)
    expect(predictions[0].input).toBe(`${animals} row 1`)

    const reordered = join(tmp, 'reordered.csv')
    const lines = readFileSync(animals, 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(','))
    writeFileSync(reordered, `${lines.map(([x1, x2]) => `${x2},${x1}`).join('\n')}\n`)
    const again = predictJson([join(tmp, 'animals-run', 'model.onnx'), reordered])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stderr).not.toMatch(/Left out/)
    expect(again.predictions.map((p) => p.label)).toEqual(predictions.map((p) => p.label))
    again.predictions.forEach((p, i) => expect(p.probability).toBeCloseTo(predictions[i].probability, 5))
  })

  it('serve takes {"instances": [{"col": value}]} in any order and names a missing or unknown column in a 400', async () => {
    const expected = predictJson([join(tmp, 'animals-run', 'model.onnx'), animals]).predictions.slice(0, 2)
    const rows = readFileSync(animals, 'utf8')
      .trim()
      .split('\n')
      .slice(1, 3)
      .map((line) => line.split(',').map(Number))
    const body = {instances: rows.map(([x1, x2]) => ({x2, x1}))}
    const served = await send('/predict?model=animals', {method: 'POST', body: JSON.stringify(body)})
    expect(served.status, JSON.stringify(served.json)).toBe(200)
    served.json.predictions.forEach((p: any, i: number) => {
      expect(p.label).toBe(expected[i].label)
      expect(p.probability).toBeCloseTo(expected[i].probability, 5)
    })

    const missing = await send('/v2/models/animals/predict', {method: 'POST', body: '{"instances": [{"x1": 1}]}'})
    expect(missing.status).toBe(400)
    expect(missing.json.error).toMatch(/^instance 0 has no column "x2"/)
    const unknown = await send('/predict?model=animals', {
      method: 'POST',
      body: '{"instances": [{"x1": 1, "x2": 2, "x3": 3}]}',
    })
    expect(unknown.status).toBe(400)
    expect(unknown.json.error).toMatch(/^instance 0 has column "x3", which the model does not take/)
  })
})

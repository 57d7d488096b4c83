/**
 * A category over the one-hot limit, end to end: a 2,000-row sales table whose units depend on which of 200
 * stores sold them. train embeds the store (and says so), learns the per-store effect that the model without
 * the column cannot, and evaluate, export-onnx (verified against TF.js), predict and serve's named rows all
 * read the store as its index, an unseen or missing store as the unknown index 0: a prediction, not an error.
 */
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {readOnnxMetadataProps} from '../../src/core/onnx/metadata-props.js'
import {mlctl} from '../helpers/mlctl-cli.js'
import {startServe, type ServeProcess} from '../serve/serve-process.js'

const scratch = mkdtempSync(join(tmpdir(), 'mlctl-embedding-'))
const sales = join(scratch, 'sales.csv')
const embedded = join(scratch, 'embedded')
const ignored = join(scratch, 'ignored')
const STORES = 200

/** units = 100 + the store's effect (±40) - 3 × price + 10 on promotion + noise (±3); each store 10 times. */
function writeSales(): void {
  const effect = (store: number) => ((store * 7919) % 81) - 40
  const rows = ['store,price,promo,units']
  for (let i = 0; i < STORES * 10; i++) {
    const store = (i * 37) % STORES
    const price = 1 + ((i * 13) % 90) / 10
    const promo = (i * 11) % 3 === 0
    const noise = (((i * 7907) % 61) - 30) / 10
    const units = 100 + effect(store) - 3 * price + (promo ? 10 : 0) + noise
    rows.push(`S${store},${price},${promo ? 'yes' : 'no'},${units.toFixed(1)}`)
  }
  writeFileSync(sales, `${rows.join('\n')}\n`)
}

const r2 = (run: string) => {
  const result = mlctl(['evaluate', run, '--json'])
  expect(result.code, result.stderr).toBe(0)
  return (JSON.parse(result.stdout) as {report: {r2: number}}).report.r2
}

const predictions = (args: string[]) => {
  const result = mlctl(['predict', ...args, '--json'])
  expect(result.code, result.stderr).toBe(0)
  return (JSON.parse(result.stdout) as {predictions: Array<{value: number}>}).predictions.map((p) => p.value)
}

let train: ReturnType<typeof mlctl>
beforeAll(() => {
  writeSales()
  train = mlctl(['train', '--data', sales, '--target', 'units', '--out', embedded])
  const without = mlctl(['train', '--data', sales, '--target', 'units', '--ignore', 'store', '--out', ignored])
  expect(without.code, without.stderr).toBe(0)
}, 120_000)
afterAll(() => rmSync(scratch, {recursive: true, force: true}))

describe('a category of 200 values', () => {
  it('is embedded: the column table says so, and the run records its index encoding and layer', () => {
    expect(train.code, train.stderr).toBe(0)
    expect(train.stderr).toMatch(/columns {3}store {2}category \(embedding, 200 values\)\n/)
    expect(train.stderr).toMatch(/model {5}mlp: categoryEmbedding → flatten → dense/)
    const {dataset, spec} = JSON.parse(readFileSync(join(embedded, 'config.json'), 'utf8'))
    expect(dataset.featureNames).toEqual(['store index', 'price', 'promo'])
    expect(dataset.columnEncodings[0]).toMatchObject({column: 'store', type: 'category', index: true})
    expect(dataset.columnEncodings[0].values).toHaveLength(STORES)
    expect(spec.layers[0]).toEqual({type: 'categoryEmbedding', column: 0, categories: STORES + 1, dim: 16})
    // the index goes to the embedding unscaled
    expect([spec.normalize.mean[0], spec.normalize.std[0]]).toEqual([0, 1])
  })

  it('teaches the per-store effect that a model without the column cannot learn', () => {
    const withStore = r2(embedded)
    const withoutStore = r2(ignored)
    expect(withStore).toBeGreaterThan(0.95)
    expect(withoutStore).toBeLessThan(0.4)
  })

  it('reads an unseen or missing store as the unknown index, from the run and from the exported file alike', async () => {
    const exported = mlctl(['export-onnx', embedded, '--include-preprocessing', '--json'])
    expect(exported.code, exported.stderr).toBe(0)
    expect(JSON.parse(exported.stdout).verification.passed).toBe(true)
    const onnx = join(embedded, 'model.onnx')
    const preprocessing = JSON.parse((await readOnnxMetadataProps(onnx)).table_preprocessing)
    expect(preprocessing.columns).toEqual(['store index', 'price', 'promo'])
    expect(preprocessing.columnEncodings[0]).toMatchObject({column: 'store', index: true})
    expect(preprocessing.featureStandardization).toMatchObject({inGraph: true})
    expect([preprocessing.featureStandardization.mean[0], preprocessing.featureStandardization.std[0]]).toEqual([0, 1])

    const rows = join(scratch, 'rows.csv')
    writeFileSync(rows, 'promo,price,store\nyes,4,S5\nyes,4,S99999\nyes,4,\nyes,4,S6\n')
    const fromRun = predictions([embedded, rows])
    const fromFile = predictions([onnx, rows])
    fromFile.forEach((value, i) => expect(value).toBeCloseTo(fromRun[i], 4))
    const [known, unseen, missing, other] = fromRun
    expect(unseen).toBe(missing)
    expect(new Set([known, unseen, other]).size).toBe(3)
    expect(Math.abs(known - other)).toBeGreaterThan(5)
  })

  it('exports for the oldest opset export declares (9) too, verified', () => {
    const exported = mlctl(['export-onnx', embedded, '--opset', '9', '-o', join(scratch, 'opset9.onnx'), '--json'])
    expect(exported.code, exported.stderr).toBe(0)
    expect(JSON.parse(exported.stdout).verification.passed).toBe(true)
  })

  it('serve takes named rows with an unseen store', async () => {
    let server: ServeProcess | undefined
    try {
      server = await startServe(['--model', `sales=${embedded}`])
      const body = {
        instances: [
          {price: 4, promo: true, store: 'S5'},
          {store: 'never seen', promo: 'yes', price: 4},
        ],
      }
      const response = await fetch(`${server.httpUrl}/predict`, {method: 'POST', body: JSON.stringify(body)})
      const served = (await response.json()) as {predictions: Array<{value: number}>}
      expect(response.status, JSON.stringify(served)).toBe(200)
      const rows = join(scratch, 'served.csv')
      writeFileSync(rows, 'store,price,promo\nS5,4,yes\nnever seen,4,yes\n')
      const expected = predictions([join(embedded, 'model.onnx'), rows])
      served.predictions.forEach((p, i) => expect(p.value).toBeCloseTo(expected[i], 4))
    } finally {
      await server?.stop()
    }
  })
})

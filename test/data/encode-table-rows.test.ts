import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {csvRecords, loadCsvDataset} from '../../src/core/data/csv-table.js'
import {encodeTableRows} from '../../src/core/data/encode-table-rows.js'
import type {Dataset} from '../../src/core/data/dataset.js'

let dir: string
let file: string
let dataset: Dataset
const TABLE = [
  'price,promo,store,units',
  '2.5,yes,A7,100',
  '3,no,B2,120',
  ',yes,A7,80',
  '4.25,no,,95',
  '1,yes,B2,130',
  '2,yes,C1,110',
].join('\n')

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlctl-rows-'))
  file = join(dir, 'sales.csv')
  await writeFile(file, TABLE)
  dataset = await loadCsvDataset(file, 'units', {testFraction: 0})
})
afterAll(() => rm(dir, {recursive: true, force: true}))

const schema = () => ({columns: dataset.featureNames!, columnEncodings: dataset.columnEncodings, target: 'units'})

describe('encodeTableRows', () => {
  it("gives a CSV's rows exactly the inputs training gave them, and reports the target column it left out", async () => {
    const rows = csvRecords(await readFile(file, 'utf8'), file)
    const encoded = encodeTableRows(rows, schema())
    expect(encoded).toMatchObject({count: 6, features: dataset.inputShape[0], ignoredColumns: ['units']})
    expect(encoded.inputs).toEqual(dataset.train.inputs)
  })

  it('takes JSON values in any column order: numbers, booleans, null for a missing cell', () => {
    const rows = [
      {store: 'A7', promo: true, price: 2.5},
      {promo: false, price: null, store: 'Z9'},
    ]
    const {inputs, ignoredColumns} = encodeTableRows(rows, schema())
    const names = dataset.featureNames!
    const row = (r: number) => Object.fromEntries(names.map((name, f) => [name, inputs[r * names.length + f]]))
    expect(row(0)).toMatchObject({price: 2.5, 'price missing': 0, promo: 1, 'store=A7': 1, 'store=(unknown)': 0})
    // The training mean of the filled prices fills the gap; an unseen store lands in (unknown).
    expect(row(1)).toMatchObject({
      price: Math.fround(2.55),
      'price missing': 1,
      promo: 0,
      'store=A7': 0,
      'store=(unknown)': 1,
    })
    expect(ignoredColumns).toEqual([])
  })

  it('names the row and the column that is missing, unknown or not a value', () => {
    const good = {price: 1, promo: 'no', store: 'B2'}
    expect(() => encodeTableRows([good, {price: 1, store: 'B2'}], schema())).toThrow(
      'row 2 has no column "promo"; the model takes price, promo, store (send null for a missing value).',
    )
    expect(() => encodeTableRows([{...good, prise: 2}], schema(), (i) => `instances[${i}]`)).toThrow(
      'instances[0] has column "prise", which the model does not take; its columns are: price, promo, store.',
    )
    expect(() => encodeTableRows([{...good, price: 'cheap'}], schema())).toThrow('row 1, column "price": "cheap"')
    expect(() => encodeTableRows([{...good, price: [1]}], schema())).toThrow(
      'row 1, column "price": a list is not a cell value',
    )
    expect(() => encodeTableRows([{...good, promo: 'maybe'}], schema())).toThrow(
      'row 1, column "promo": "maybe" is neither of the column\'s two values (no, yes)',
    )
  })

  it('takes every column as a number for a model saved without column encodings', () => {
    const {inputs} = encodeTableRows([{b: '2', a: 1.5}], {columns: ['a', 'b']})
    expect([...inputs]).toEqual([1.5, 2])
  })
})

describe('a category over the one-hot limit', () => {
  /** 60 cities twice each, three cities once, two missing cells: 66 training values, more than 50. */
  async function cities(): Promise<Dataset> {
    const lines = ['city,x,y']
    for (let i = 0; i < 120; i++) lines.push(`c${i % 60},${i},${i % 7}`)
    for (const [i, city] of ['once1', 'once2', 'once3', '', 'NA'].entries()) lines.push(`${city},${i},1`)
    const path = join(dir, 'cities.csv')
    await writeFile(path, `${lines.join('\n')}\n`)
    return loadCsvDataset(path, 'y', {testFraction: 0})
  }

  it('is one index input: 1 + the position among the values met twice or more, 0 for the rest', async () => {
    const table = await cities()
    expect(table.featureNames).toEqual(['city index', 'x'])
    const [city] = table.columnEncodings!
    expect(city).toMatchObject({column: 'city', type: 'category', index: true})
    if (city.type !== 'category') throw new Error('a category')
    // the two missing cells make "(missing)" a value of its own; each city seen once is left to index 0
    expect(city.values).toHaveLength(61)
    expect(city.values[0]).toBe('(missing)')
    expect(city.values).not.toContain('once1')
    expect(table.columnSummary![0].details).toBe(
      'category (embedding, 60 values; 3 more seen once, read as unknown), 2 missing',
    )
    const s = schema()
    const encode = (rows: Array<Record<string, unknown>>) =>
      Array.from(
        encodeTableRows(rows, {...s, columns: table.featureNames!, columnEncodings: table.columnEncodings}).inputs,
      )
    const index = (value: string) => city.values.indexOf(value) + 1
    expect(
      encode([
        {city: 'c7', x: 3},
        {city: 'once2', x: 3},
        {city: 'Atlantis', x: 3},
        {city: null, x: 3},
      ]),
    ).toEqual([index('c7'), 3, 0, 3, 0, 3, index('(missing)'), 3])
    // training rows were encoded by the same rule
    expect(table.train.inputs[2 * 7]).toBe(index('c7'))
    expect(table.train.inputs[2 * 120]).toBe(0)
  })
})

import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {mlctl} from '../helpers/mlctl-cli.js'

const scratch = mkdtempSync(join(tmpdir(), 'mlctl-columns-'))
const shop = join(scratch, 'shop.csv')
const run = join(scratch, 'shop')

/**
 * 300 sales rows where units depend strongly on the store (a text category), on price, and on two
 * yes/no columns spelled differently; some price and store cells are empty or NA.
 */
function writeShop(): void {
  const storeEffect: Record<string, number> = {A: 10, B: 30, C: -5, D: 50}
  const rows = ['price,store,promo,weekend,units']
  for (let i = 0; i < 300; i++) {
    const store = 'ABCD'[(i * 7) % 4 === 0 ? (i >> 2) % 4 : (i * 5 + (i >> 3)) % 4]
    const price = 1 + ((i * 37) % 41) / 10
    const promo = (i * 11) % 3 === 0
    const weekend = (i * 13) % 7 < 2
    const noise = (((i * 7919) % 13) - 6) / 2
    const units = 100 - 8 * price + storeEffect[store] + (promo ? 12 : 0) + (weekend ? 4 : 0) + noise
    const priceCell = i % 23 === 5 ? '' : String(price)
    const storeCell = i % 29 === 3 ? 'NA' : store
    rows.push(`${priceCell},${storeCell},${promo ? 'yes' : 'no'},${weekend ? 'TRUE' : 'FALSE'},${units.toFixed(1)}`)
  }
  writeFileSync(shop, `${rows.join('\n')}\n`)
}

const report = (args: string[]) => {
  const result = mlctl(['evaluate', ...args, '--json'])
  expect(result.code, result.stderr).toBe(0)
  return JSON.parse(result.stdout).report as {r2: number; mae: number}
}

describe('train on a table with text categories, yes/no columns and missing cells', () => {
  let train: ReturnType<typeof mlctl>
  beforeAll(() => {
    writeShop()
    train = mlctl(['train', '--data', shop, '--target', 'units', '--out', run])
  })

  it('prints each column’s type and missing count, and saves the fitted encoding', () => {
    expect(train.code, train.stderr).toBe(0)
    expect(train.stderr).toMatch(/columns {3}price {4}number, 13 missing\n/)
    expect(train.stderr).toMatch(/ {12}store {4}category, 4 values, 11 missing\n/)
    expect(train.stderr).toMatch(/ {12}promo {4}binary \(no=0, yes=1\)\n/)
    expect(train.stderr).toMatch(/ {12}weekend {2}binary \(false=0, true=1\)\n/)
    const {dataset} = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'))
    expect(dataset.featureNames).toEqual([
      'price',
      'price missing',
      'store=(missing)',
      'store=A',
      'store=B',
      'store=C',
      'store=D',
      'store=(unknown)',
      'promo',
      'weekend',
    ])
    expect(dataset.columnEncodings[1]).toEqual({
      column: 'store',
      type: 'category',
      values: ['(missing)', 'A', 'B', 'C', 'D'],
    })
  })

  it('evaluate reproduces train’s test metric from the saved encoding', () => {
    const trained = /Test: loss ([\d.]+), mae ([\d.]+)/.exec(train.stdout)
    expect(trained, train.stdout).not.toBeNull()
    expect(report([run]).mae).toBeCloseTo(Number(trained![2]), 3)
  })

  it('learns from the store: clearly better R² than with the column ignored', () => {
    const without = join(scratch, 'no-store')
    const ignored = mlctl(['train', '--data', shop, '--target', 'units', '--columns', 'store:ignore', '--out', without])
    expect(ignored.code, ignored.stderr).toBe(0)
    expect(ignored.stderr).toMatch(/ignored {3}store: --columns/)
    const withStore = report([run]).r2
    const withoutStore = report([without]).r2
    expect(withStore).toBeGreaterThan(0.8)
    expect(withStore - withoutStore).toBeGreaterThan(0.3)
  })

  it('exports an ONNX file whose metadata carries the encoding, and evaluates it on the same rows', () => {
    const onnx = join(scratch, 'shop.onnx')
    const exported = mlctl(['export-onnx', run, '-o', onnx, '--json'])
    expect(exported.code, exported.stderr).toBe(0)
    const result = JSON.parse(exported.stdout)
    expect(result.verification.passed).toBe(true)
    const table = JSON.parse(result.metadata.table_preprocessing)
    expect(table.columns).toHaveLength(10)
    expect(table.columnEncodings.map((e: {type: string}) => e.type)).toEqual(['number', 'category', 'binary', 'binary'])
    expect(report([onnx, '--data', shop, '--target', 'units']).mae).toBeCloseTo(report([run]).mae, 3)
  })

  it('evaluates new rows with an unseen store, other yes/no spellings and missing cells', () => {
    const fresh = join(scratch, 'fresh.csv')
    writeFileSync(
      fresh,
      'weekend,units,store,price,promo\nFALSE,100,Z,2,Y\nTRUE,90,A,,n\n,80,,3,no\nfalse,70,B,4,yes\nfalse,60,C,2,no\n',
    )
    const result = mlctl(['evaluate', run, '--data', fresh, '--target', 'units', '--split', 'train', '--json'])
    expect(result.code, result.stderr).toBe(0)
    const {data, report: scores} = JSON.parse(result.stdout)
    expect(data.examples).toBe(4)
    expect(Number.isFinite(scores.mae)).toBe(true)
  })

  it('names a cell that is neither of a binary column’s values', () => {
    const bad = join(scratch, 'bad.csv')
    writeFileSync(bad, 'price,store,promo,weekend,units\n2,A,maybe,true,100\n3,B,no,false,90\n')
    const result = mlctl(['evaluate', run, '--data', bad, '--target', 'units', '--split', 'train'])
    expect(result.code).not.toBe(0)
    expect(result.stderr.trim()).toBe(
      `Error: ${bad}: row 1 (line 2), column "promo": "maybe" is neither of the column's two values (no, yes); fix the cell.`,
    )
  })

  it('--columns overrides the inferred type', () => {
    const out = join(scratch, 'promo-category')
    const args = ['train', '--data', shop, '--target', 'units', '--columns', 'promo:category', '--epochs', '1']
    const result = mlctl([...args, '--out', out])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toMatch(/ {12}promo {4}category, 2 values\n/)
    const {dataset} = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))
    expect(dataset.featureNames).toContain('promo=yes')
  })

  it('refuses a bad --columns entry or column in one line', () => {
    const badType = mlctl(['train', '--data', shop, '--target', 'units', '--columns', 'store:text', '--epochs', '1'])
    expect(badType.code).toBe(2)
    expect(badType.stderr.trim().split('\n')).toHaveLength(1)
    expect(badType.stderr).toMatch(/--columns entry "store:text" is not NAME:TYPE with TYPE one of number, category/)
    const badName = mlctl(['train', '--data', shop, '--target', 'units', '--columns', 'colour:number'])
    expect(badName.code).not.toBe(0)
    expect(badName.stderr).toMatch(/has no column "colour" \(given to --columns\)/)
  })

  it('--drop-missing leaves out rows with a gap instead of filling them, and says how many', () => {
    const out = join(scratch, 'dropped')
    const result = mlctl([
      'train',
      '--data',
      shop,
      '--target',
      'units',
      '--drop-missing',
      '--epochs',
      '1',
      '--out',
      out,
    ])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toMatch(/dropped {3}23 rows with a missing cell \(--drop-missing\)/)
    expect(result.stderr).toMatch(/columns {3}price {4}number\n/)
    const {dataset} = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))
    expect(dataset.featureNames).not.toContain('price missing')
    // evaluate and export read the run's file as train did: the same test rows, the same metric
    const trained = /Test: loss ([\d.]+), mae ([\d.]+)/.exec(result.stdout)
    expect(report([out]).mae).toBeCloseTo(Number(trained![2]), 3)
    const exported = mlctl(['export-onnx', out, '-o', join(scratch, 'dropped.onnx'), '--json'])
    expect(exported.code, exported.stderr).toBe(0)
    expect(JSON.parse(exported.stdout).verification.sampleMetric.file).toBeCloseTo(Number(trained![2]), 3)
  })
})

describe('tables mlctl refuses', () => {
  it('a row without a target, unless --drop-missing', () => {
    const file = join(scratch, 'no-target.csv')
    writeFileSync(file, 'x,y\n1,2\n2,\n3,6\n4,8\n5,10\n')
    const result = mlctl(['train', '--data', file, '--target', 'y', '--epochs', '1'])
    expect(result.code).not.toBe(0)
    expect(result.stderr.trim()).toBe(
      `Error: ${file}: row 2 (line 3), column "y": missing target value; fill it in, drop the row, or pass --drop-missing.`,
    )
    const dropped = mlctl(['train', '--data', file, '--target', 'y', '--epochs', '1', '--drop-missing'])
    expect(dropped.code, dropped.stderr).toBe(0)
    expect(dropped.stderr).toMatch(/dropped {3}1 rows with a missing cell/)
  })
})

import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {tableBatchSize, tableEpochs} from '../../src/core/train/dataset-defaults.js'
import {mlctl} from '../helpers/mlctl-cli.js'

const scratch = mkdtempSync(join(tmpdir(), 'mlctl-table-'))
const run = join(scratch, 'cars')

describe('mlctl train on a table with no options but --data and --target', () => {
  let train: ReturnType<typeof mlctl>
  beforeAll(() => {
    train = mlctl(['train', '--data', 'examples/cars.csv', '--target', 'Miles_per_Gallon', '--out', run])
  })

  it('picks mlp, a batch size, epochs and early stopping from the rows, and says so', () => {
    expect(train.code, train.stderr).toBe(0)
    expect(train.stderr).toMatch(
      /defaults {2}model mlp, batch 32, 230 epochs, early stop after 23 epochs without improvement for 286 training rows/,
    )
    const {config} = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'))
    expect(config).toMatchObject({model: 'mlp', 'batch-size': 32, epochs: 230, 'early-stop': 23})
  })

  it('standardizes features and target: evaluate beats least squares (R² 0.793), in the target units', () => {
    const trained = /Test: loss ([\d.]+), mae ([\d.]+)/.exec(train.stdout)
    expect(trained, train.stdout).not.toBeNull()
    const evaluated = mlctl(['evaluate', run, '--json'])
    expect(evaluated.code, evaluated.stderr).toBe(0)
    const {report} = JSON.parse(evaluated.stdout)
    expect(report.r2).toBeGreaterThan(0.83)
    // evaluate reproduces train's test metric: the saved scaling is applied exactly, in miles per gallon
    expect(report.mae).toBeCloseTo(Number(trained![2]), 3)
    const {spec} = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'))
    expect(spec.normalize.mean).toHaveLength(17)
    expect(spec.denormalize.std).toBeGreaterThan(5)
  })

  it('exports an ONNX file that takes raw rows and gives predictions in the target units', () => {
    const onnx = join(scratch, 'cars.onnx')
    const exported = mlctl(['export-onnx', run, '-o', onnx, '--json'])
    expect(exported.code, exported.stderr).toBe(0)
    const result = JSON.parse(exported.stdout)
    expect(result.verification.passed).toBe(true)
    expect(JSON.parse(result.metadata.input_normalization)).toMatchObject({scale: 1, mean: [0], std: [1]})
    const table = JSON.parse(result.metadata.table_preprocessing)
    expect(table.columns).toEqual([
      'Cylinders',
      'Displacement',
      'Horsepower',
      'Horsepower missing',
      'Weight_in_lbs',
      'Acceleration',
      'Year year',
      'Year month sin',
      'Year month cos',
      'Year weekday sin',
      'Year weekday cos',
      'Year day of year sin',
      'Year day of year cos',
      'Origin=Europe',
      'Origin=Japan',
      'Origin=USA',
      'Origin=(unknown)',
    ])
    expect(table.featureStandardization.inGraph).toBe(true)
    expect(table.targetStandardization.std).toBeGreaterThan(5)

    const viaRun = JSON.parse(mlctl(['evaluate', run, '--json']).stdout).report
    const args = ['evaluate', onnx, '--data', 'examples/cars.csv', '--target', 'Miles_per_Gallon', '--json']
    const viaFile = mlctl(args)
    expect(viaFile.code, viaFile.stderr).toBe(0)
    expect(JSON.parse(viaFile.stdout).report.mae).toBeCloseTo(viaRun.mae, 3)
  })

  it('keeps flags over the table defaults', () => {
    const out = join(scratch, 'flags')
    const result = mlctl([
      'train',
      '--data',
      'examples/cars.csv',
      '--target',
      'Miles_per_Gallon',
      '--batch-size',
      '32',
      '--epochs',
      '3',
      '--early-stop',
      '0',
      '--out',
      out,
    ])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toMatch(/defaults {2}model mlp for 286 training rows/)
    const {config} = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))
    expect(config).toMatchObject({model: 'mlp', 'batch-size': 32, epochs: 3, 'early-stop': 0})
  })
})

describe('table batch size and epochs', () => {
  it('give small tables small batches and thousands of steps, large tables the image defaults', () => {
    expect([tableBatchSize(20), tableBatchSize(108), tableBatchSize(1000), tableBatchSize(100_000)]).toEqual([
      8, 16, 64, 64,
    ])
    expect(tableEpochs(108, 16)).toBe(290)
    expect(tableEpochs(20, 8)).toBe(500)
    expect(tableEpochs(100_000, 64)).toBe(15)
  })
})

describe('table columns', () => {
  const csv = join(scratch, 'orders.csv')
  const reordered = join(scratch, 'orders-reordered.csv')
  const out = join(scratch, 'orders')
  beforeAll(() => {
    const rows = ['order_id,store,price,promo,units,region']
    const reorderedRows = ['region,units,promo,note,price']
    for (let i = 0; i < 120; i++) {
      const price = 1 + ((i * 37) % 40) / 10
      const promo = i % 3 === 0 ? 1 : 0
      const units = (200 - 25 * price + 30 * promo + ((i * 13) % 7)).toFixed(1)
      rows.push(`${1000 + i},A${i % 9},${price},${promo},${units},north`)
      reorderedRows.push(`north,${units},${promo},text,${price}`)
    }
    writeFileSync(csv, `${rows.join('\n')}\n`)
    writeFileSync(reordered, `${reorderedRows.join('\n')}\n`)
  })

  it('leaves out id, constant and --ignore columns, says so, and evaluate finds the model’s columns by name', () => {
    const result = mlctl(['train', '--data', csv, '--target', 'units', '--ignore', 'store', '--out', out])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toMatch(
      /ignored {3}order_id: id \(a different value in every row\); store: --ignore; region: constant \(every row is "north"\)/,
    )
    const {dataset} = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))
    expect(dataset.featureNames).toEqual(['price', 'promo'])

    const own = JSON.parse(mlctl(['evaluate', out, '--json']).stdout).report
    const other = mlctl(['evaluate', out, '--data', reordered, '--target', 'units', '--json'])
    expect(other.code, other.stderr).toBe(0)
    expect(JSON.parse(other.stdout).report.mae).toBeCloseTo(own.mae, 4)
  })

  it('names an unknown --ignore column in a one-line error', () => {
    const result = mlctl(['train', '--data', csv, '--target', 'units', '--ignore', 'colour', '--epochs', '1'])
    expect(result.code).not.toBe(0)
    expect(result.stderr.trim()).toMatch(/has no column "colour" \(given to --ignore\); its columns are: order_id/)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
  })
})

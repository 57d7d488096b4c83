import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {mlctl} from '../helpers/mlctl-cli.js'

const scratch = mkdtempSync(join(tmpdir(), 'mlctl-robust-'))
const file = join(scratch, 'sensor.csv')
const run = join(scratch, 'robust')

/** y = 3a - 2b, where one row in 25 has a glitched reading of b (5000) that y does not follow. */
function writeSensor(): void {
  const rows = ['a,b,y']
  for (let i = 0; i < 250; i++) {
    const a = (i * 37) % 101
    const b = (i * 53) % 97
    rows.push(`${a},${i % 25 === 7 ? 5000 : b},${3 * a - 2 * b}`)
  }
  writeFileSync(file, `${rows.join('\n')}\n`)
}

const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y)
  const middle = (sorted.length - 1) / 2
  return (sorted[Math.floor(middle)] + sorted[Math.ceil(middle)]) / 2
}

describe('train --scale robust', () => {
  let train: ReturnType<typeof mlctl>
  beforeAll(() => {
    writeSensor()
    train = mlctl(['train', '--data', file, '--target', 'y', '--scale', 'robust', '--epochs', '5', '--out', run])
  })

  it('says so at start and centers each feature on the training median, scaled by the interquartile range', () => {
    expect(train.code, train.stderr).toBe(0)
    expect(train.stderr).toContain('  scaling   robust: each feature centered on its training median')
    const {config, spec} = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'))
    expect(config.scale).toBe('robust')
    // The glitches do not move b's center or scale as they would move its mean (about 250) and std (about 1,000).
    expect(spec.normalize.mean[1]).toBeGreaterThan(30)
    expect(spec.normalize.mean[1]).toBeLessThan(70)
    expect(spec.normalize.std[1]).toBeGreaterThan(30)
    expect(spec.normalize.std[1]).toBeLessThan(70)
    const a = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => Number(line.split(',')[0]))
    // Within the range of a's medians over the 180 training rows of 250.
    expect(spec.normalize.mean[0]).toBeGreaterThan(median(a) - 10)
    expect(spec.normalize.mean[0]).toBeLessThan(median(a) + 10)
  })

  it('round-trips through the ONNX metadata, and the exported file on raw rows scores as the run does', () => {
    const onnx = join(scratch, 'robust.onnx')
    const exported = mlctl(['export-onnx', run, '-o', onnx, '--include-preprocessing', '--json'])
    expect(exported.code, exported.stderr).toBe(0)
    const result = JSON.parse(exported.stdout)
    const table = JSON.parse(result.metadata.table_preprocessing)
    const {spec} = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'))
    expect(table.featureStandardization).toEqual({
      mean: spec.normalize.mean,
      std: spec.normalize.std,
      inGraph: true,
      method: 'robust',
    })
    const viaRun = mlctl(['evaluate', run, '--json'])
    const viaFile = mlctl(['evaluate', onnx, '--data', file, '--target', 'y', '--json'])
    expect(viaFile.code, viaFile.stderr).toBe(0)
    expect(JSON.parse(viaFile.stdout).report.mae).toBeCloseTo(JSON.parse(viaRun.stdout).report.mae, 3)
  })

  it('--include-preprocessing is the table default and cannot be combined with --no-normalize', () => {
    const both = mlctl(['export-onnx', run, '--include-preprocessing', '--no-normalize'])
    expect(both.code).toBe(2)
    expect(both.stderr).toMatch(/--normalize=false cannot also be provided when using\s+(› +)?--include-preprocessing/)
  })

  it('refuses a scaling it does not know', () => {
    const result = mlctl(['train', '--data', file, '--target', 'y', '--scale', 'minmax'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/Expected --scale=minmax to be one of: standard, robust/)
  })
})

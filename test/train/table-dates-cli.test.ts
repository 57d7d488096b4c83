import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {mlctl} from '../helpers/mlctl-cli.js'

const scratch = mkdtempSync(join(tmpdir(), 'mlctl-dates-cli-'))
const daily = join(scratch, 'daily.csv')
const run = join(scratch, 'daily')

/** 200 days of sales in a scrambled row order, more on weekends, with the date as "Mon D YYYY" text. */
function writeDaily(): void {
  const rows = ['sales,day,store']
  for (let i = 0; i < 200; i++) {
    const n = (i * 73) % 200
    const date = new Date(Date.UTC(2025, 0, 1 + n))
    const text = date.toLocaleDateString('en-US', {month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC'})
    const weekend = date.getUTCDay() === 0 || date.getUTCDay() === 6
    rows.push(`${100 + (weekend ? 30 : 0) + (n % 3)},"${text}",${'AB'[n % 2]}`)
  }
  writeFileSync(daily, `${rows.join('\n')}\n`)
}

describe('train --split-by on a table with a date column', () => {
  let train: ReturnType<typeof mlctl>
  beforeAll(() => {
    writeDaily()
    train = mlctl(['train', '--data', daily, '--target', 'sales', '--split-by', 'day', '--epochs', '3', '--out', run])
  })

  it('says the column is a date and that the test split is the latest 20% of days', () => {
    expect(train.code, train.stderr).toBe(0)
    expect(train.stderr).toMatch(/columns {3}day {4}date\n/)
    // 200 days from Jan 1 2025: the latest 40 start on day 161, June 10.
    expect(train.stderr).toContain(
      '  split     by day: the latest rows are the test split (from Jun 10, 2025), the latest before them validation',
    )
    expect(train.stderr).toContain('144 train, 16 validation, 40 test')
    const {config} = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'))
    expect(config['split-by']).toBe('day')
  })

  it('evaluate scores the same latest rows as train did, test and validation', () => {
    const testLine = /Test: loss ([\d.]+), mae ([\d.]+)/.exec(train.stdout)
    expect(testLine, train.stdout).not.toBeNull()
    const result = mlctl(['evaluate', run, '--json'])
    expect(result.code, result.stderr).toBe(0)
    const {report} = JSON.parse(result.stdout) as {report: {mae: number; count?: number}}
    expect(report.mae).toBeCloseTo(Number(testLine![2]), 3)
    // and the same validation rows: the latest before the test split
    const bestLine = /Best epoch \d+: validation mae ([\d.]+)/.exec(train.stdout)
    expect(bestLine, train.stdout).not.toBeNull()
    const validation = mlctl(['evaluate', run, '--split', 'val', '--json'])
    expect(validation.code, validation.stderr).toBe(0)
    expect(JSON.parse(validation.stdout).report.mae).toBeCloseTo(Number(bestLine![1]), 3)
  })

  it('refuses --split-by on a column that is not a time, naming the row', () => {
    const result = mlctl(['train', '--data', daily, '--target', 'sales', '--split-by', 'store', '--epochs', '1'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(
      /row 1 \(line 2\), column "store": "[AB]" is neither a date nor a number; --split-by orders rows by a date/,
    )
  })
})

import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {mlctl} from '../helpers/mlctl-cli.js'

const scratch = mkdtempSync(join(tmpdir(), 'mlctl-table-checks-'))

function table(name: string, rows: string[]): string {
  const file = join(scratch, name)
  writeFileSync(file, `${rows.join('\n')}\n`)
  return file
}

describe('train refuses non-finite numbers and warns about rare classes', () => {
  it.each([
    ['1e400', '1e400 is beyond the float32 range'],
    ['Infinity', 'Infinity is not a finite number'],
    ['-inf', '-inf is not a finite number'],
  ])('a cell %s is one line naming its row and column, exit 1', (cell, message) => {
    const rows = ['size,weight']
    for (let i = 0; i < 20; i++) rows.push(`${i === 13 ? cell : i},${i * 2}`)
    const file = table(`cells-${cell}.csv`, rows)
    const result = mlctl(['train', '--data', file, '--target', 'weight', '--epochs', '1'])
    expect(result.code).toBe(1)
    expect(result.stderr.trim()).toBe(
      `Error: ${file}: row 14 (line 15), column "size": ${message}${cell === '1e400' ? ' (±3.4e38) mlctl computes in; rescale the column, fix the cell, or empty it to mark the value missing.' : '; fix the cell, or empty it to mark the value missing.'}`,
    )
  })

  it('names a class with too few training rows at the start, and trains anyway', () => {
    const rows = ['x,y,kind']
    for (let i = 0; i < 200; i++)
      rows.push(`${i % 17},${(i * 7) % 13},${i % 67 === 5 ? 'rare' : i % 2 ? 'odd' : 'even'}`)
    const file = table('rare.csv', rows)
    const result = mlctl(['train', '--data', file, '--target', 'kind', '--epochs', '1', '--out', join(scratch, 'rare')])
    expect(result.code, result.stderr).toBe(0)
    // 3 "rare" rows in the file; the seeded test split leaves 2 of them among the 160 training rows.
    expect(result.stderr).toMatch(
      /^Warning: rare class in the 160 training rows: "rare" 2 \(1\.3%\); the model may never predict it and the test metric says little about it\. Add rows, or merge it into another class\.\nTraining /,
    )
  })
})

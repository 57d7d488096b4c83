import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {loadCsvDataset} from '../../src/core/data/csv-table.js'
import {encodeTableRows} from '../../src/core/data/encode-table-rows.js'
import {inferColumnType} from '../../src/core/data/table-columns.js'
import {dateFeatures, parseDate} from '../../src/core/data/table-dates.js'
import {holdOut} from '../../src/core/data/validation-split.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlctl-dates-'))
})
afterAll(() => rm(dir, {recursive: true, force: true}))

describe('parseDate', () => {
  it('reads ISO dates, date-times and month names; not ambiguous or impossible dates', () => {
    const day = {year: 2026, month: 11, day: 28}
    for (const text of [
      '2026-11-28',
      '2026/11/28',
      '2026-11-28T10:00:00Z',
      '2026-11-28 23:59',
      '2026-11-28T10:00:00.5+01:00',
      '28 Nov 2026',
      '28-Nov-2026',
      'Nov 28 2026',
      'November 28, 2026',
      'nov. 28th 2026',
    ])
      expect(parseDate(text), text).toEqual(day)
    for (const text of ['11/28/2026', '28/11/2026', '2026-02-30', '2026-13-01', 'Foo 28 2026', '2026', 'today'])
      expect(parseDate(text), text).toBeUndefined()
  })

  it('gives a fractional year and cyclic month, weekday and day of year', () => {
    // 2026-01-01 is a Thursday (weekday 4 of 0-6 from Sunday).
    const [year, monthSin, monthCos, weekdaySin, weekdayCos, daySin, dayCos] = dateFeatures(parseDate('2026-01-01')!)
    expect(year).toBe(2026)
    expect([monthSin, monthCos, daySin, dayCos]).toEqual([0, 1, 0, 1])
    expect(weekdaySin).toBeCloseTo(Math.sin((2 * Math.PI * 4) / 7), 12)
    expect(weekdayCos).toBeCloseTo(Math.cos((2 * Math.PI * 4) / 7), 12)
    const december = dateFeatures(parseDate('2026-12-31')!)
    expect(december[0]).toBeCloseTo(2026 + 364 / 365, 12)
    // December 31 sits next to January 1 on the day-of-year circle.
    expect(Math.hypot(december[5] - daySin, december[6] - dayCos)).toBeLessThan(0.02)
  })

  it('infers a column of dates as date, and a column of years as number', () => {
    expect(inferColumnType(['2024-01-01', '2024-02-01', '', 'NA'])).toBe('date')
    expect(inferColumnType(['Jun 12 1998', 'Aug 07 1998', 'Dec 25 1998'])).toBe('date')
    expect(inferColumnType(['1998', '1999', '2000'])).toBe('number')
  })
})

describe('a table with a date column', () => {
  it('encodes the date into its features, fills a gap with the median date and names a bad cell', async () => {
    const file = join(dir, 'days.csv')
    await writeFile(file, 'day,y\n2026-01-01,1\n2026-01-03,2\n,3\n2026-01-02,4\n')
    const dataset = await loadCsvDataset(file, 'y', {testFraction: 0})
    expect(dataset.featureNames).toEqual([
      'day year',
      'day month sin',
      'day month cos',
      'day weekday sin',
      'day weekday cos',
      'day day of year sin',
      'day day of year cos',
      'day missing',
    ])
    expect(dataset.columnEncodings).toEqual([{column: 'day', type: 'date', fill: '2026-01-02', missingIndicator: true}])
    const row = (r: number) => [...dataset.train.inputs.subarray(r * 8, r * 8 + 8)]
    expect(row(2)).toEqual([...row(3).slice(0, 7), 1])
    expect(row(0)).toEqual([...Float32Array.from(dateFeatures(parseDate('2026-01-01')!)), 0])
    // New rows go through the same encoding.
    const {inputs} = encodeTableRows([{day: 'Jan 1 2026'}, {day: null}], {
      columns: dataset.featureNames!,
      columnEncodings: dataset.columnEncodings,
    })
    expect([...inputs.subarray(0, 8)]).toEqual(row(0))
    expect([...inputs.subarray(8)]).toEqual(row(2))

    await writeFile(file, 'day,y\n2026-01-01,1\n2026-01-03,2\n2026-01-02,3\n2026-02-30,4\n')
    await expect(loadCsvDataset(file, 'y', {testFraction: 0})).rejects.toThrow(
      `${file}: row 4 (line 5), column "day": "2026-02-30" is not a date mlctl reads`,
    )
  })

  it('--split-by puts the latest rows in the test split and the latest of the rest in validation', async () => {
    // Rows in a scrambled order; y is the day of the month, so it shows which rows each split got.
    const days = Array.from({length: 30}, (_, i) => ((i * 7) % 30) + 1)
    const file = join(dir, 'month.csv')
    await writeFile(
      file,
      `y,when,x\n${days.map((d) => `${d},2026-04-${String(d).padStart(2, '0')},${d % 5}`).join('\n')}\n`,
    )
    const dataset = await loadCsvDataset(file, 'y', {splitBy: 'when'})
    expect([...dataset.test!.targets]).toEqual([25, 26, 27, 28, 29, 30])
    expect(dataset.timeSplit).toEqual({column: 'when', testFrom: '2026-04-25'})
    const {fit, validation} = holdOut(dataset.train, 0.1, true)
    expect([...validation!.targets]).toEqual([23, 24])
    expect([...fit.targets]).toEqual(Array.from({length: 22}, (_, i) => i + 1))

    await writeFile(file, 'y,when\n1,2026-04-01\n2,\n3,2026-04-03\n')
    await expect(loadCsvDataset(file, 'y', {splitBy: 'when'})).rejects.toThrow(
      `${file}: row 2 (line 3), column "when": missing value; --split-by needs a time in every row`,
    )
    await expect(loadCsvDataset(file, 'y', {splitBy: 'then'})).rejects.toThrow(`has no column "then" (--split-by)`)
  })
})

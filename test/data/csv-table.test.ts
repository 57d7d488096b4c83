import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {loadCsvDataset} from '../../src/core/data/csv-table.js'
import {UserError} from '../../src/core/errors.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlctl-csv-'))
})
afterAll(() => rm(dir, {recursive: true, force: true}))

async function csv(name: string, text: string): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, text)
  return path
}

describe('loadCsvDataset', () => {
  it('reads numeric features and a numeric target as regression, float32 row-major', async () => {
    const file = await csv('demand.csv', 'price,promo,units\r\n2.5,0,100\r\n3,1,"120"\r\n\r\n-1e-1, 1 ,80.5\r\n')
    const dataset = await loadCsvDataset(file, 'units', {testFraction: 0})
    expect(dataset).toMatchObject({
      name: 'demand',
      task: 'regression',
      inputShape: [2],
      featureNames: ['price', 'promo'],
      targetName: 'units',
    })
    expect(dataset.classNames).toBeUndefined()
    expect(dataset.test).toBeUndefined()
    expect(dataset.train.inputs).toEqual(Float32Array.from([2.5, 0, 3, 1, -0.1, 1]))
    expect(dataset.train.targets).toEqual(Float32Array.from([100, 120, 80.5]))
  })

  it('maps text labels to class indices, names sorted, with the target in any column', async () => {
    const file = await csv('fruit.csv', 'label,weight,width\napple,150,7\npear,170,6\napple,140,7\nbanana,120,3\n')
    const dataset = await loadCsvDataset(file, 'label', {testFraction: 0})
    expect(dataset.task).toBe('classification')
    expect(dataset.classNames).toEqual(['apple', 'banana', 'pear'])
    expect([...dataset.train.targets]).toEqual([0, 2, 0, 1])
    expect(dataset.train.targets).toBeInstanceOf(Uint8Array)
    expect(dataset.train.inputs).toEqual(Float32Array.from([150, 7, 170, 6, 140, 7, 120, 3]))
  })

  it('treats numeric labels as classes when asked, ordered by value', async () => {
    const file = await csv('digits.csv', 'x,y\n1,10\n2,2\n3,10\n')
    const dataset = await loadCsvDataset(file, 'y', {task: 'classification', testFraction: 0})
    expect(dataset.classNames).toEqual(['2', '10'])
    expect([...dataset.train.targets]).toEqual([1, 0, 1])
  })

  it('holds out a seeded test split that covers every row once', async () => {
    const lines = Array.from({length: 50}, (_, i) => `${i},${i * 2}`)
    const file = await csv('split.csv', `a,b\n${lines.join('\n')}\n`)
    const one = await loadCsvDataset(file, 'b')
    const two = await loadCsvDataset(file, 'b')
    expect(one.train.count).toBe(40)
    expect(one.test?.count).toBe(10)
    expect(two.test?.targets).toEqual(one.test?.targets)
    const all = [...one.train.inputs, ...one.test!.inputs].sort((x, y) => x - y)
    expect(all).toEqual(Array.from({length: 50}, (_, i) => i))
    const other = await loadCsvDataset(file, 'b', {seed: 7})
    expect(other.test?.targets).not.toEqual(one.test?.targets)
  })

  it('names row and column of a non-numeric cell in a column typed number', async () => {
    const file = await csv('bad.csv', 'price,promo,units\n2.5,0,100\n3,yes,120\n4,0,130\n')
    const error = await loadCsvDataset(file, 'units', {columnTypes: new Map([['promo', 'number']])}).catch((e) => e)
    expect(error).toBeInstanceOf(UserError)
    expect(error.message).toBe(
      `${file}: row 2 (line 3), column "promo": "yes" is not a number; fix the cell or pass --columns NAME:category to treat the column as text.`,
    )
  })

  it('fits a category vocabulary and a missing-value fill on the training rows only', async () => {
    // 10 rows, the last 2 held out; which rows those are comes from the seeded shuffle
    const lines = ['store,price,units']
    for (let i = 0; i < 10; i++) lines.push(`${i === 9 ? 'Z' : 'AB'[i % 2]},${i === 0 ? '' : i},${i * 2}`)
    const file = await csv('fit.csv', `${lines.join('\n')}\n`)
    const data = await loadCsvDataset(file, 'units', {testFraction: 0.5, seed: 1})
    const [store, price] = data.columnEncodings!
    const trainRows = Array.from({length: data.train.count}, (_, n) => data.train.targets[n] / 2)
    const trainStores = [...new Set(trainRows.map((i) => (i === 9 ? 'Z' : 'AB'[i % 2])))].sort()
    // with this seed the Z row and the row without a price are both test rows
    expect(trainStores).toEqual(['A', 'B'])
    expect(price).toEqual({column: 'price', type: 'number', fill: 4.2})
    const gap = Array.from(data.test!.targets).indexOf(0)
    expect(data.test!.inputs[gap * data.featureNames!.length + data.featureNames!.indexOf('price')]).toBeCloseTo(4.2, 5)
    expect(store).toEqual({column: 'store', type: 'category', values: trainStores})
    const trainPrices = trainRows.filter((i) => i !== 0)
    expect(price.type === 'number' && price.fill).toBeCloseTo(
      trainPrices.reduce((a, b) => a + b, 0) / trainPrices.length,
      5,
    )
    // a value the training rows lack is one-hot in the unknown input
    const names = data.featureNames!
    const unknown = names.indexOf('store=(unknown)')
    const width = names.length
    for (let n = 0; n < data.test!.count; n++) {
      const row = data.test!.targets[n] / 2
      const known = trainStores.includes(row === 9 ? 'Z' : 'AB'[row % 2])
      expect(data.test!.inputs[n * width + unknown]).toBe(known ? 0 : 1)
    }
  })

  it('names row and column of a missing target value', async () => {
    const missingTarget = await csv('gap2.csv', 'price,units\n2.5,NA\n')
    await expect(loadCsvDataset(missingTarget, 'units')).rejects.toThrow(
      `${missingTarget}: row 1 (line 2), column "units": missing target value`,
    )
  })

  it('rejects ragged rows, unknown targets, text targets for regression', async () => {
    const ragged = await csv('ragged.csv', 'a,b\n1,2\n3\n')
    await expect(loadCsvDataset(ragged, 'b')).rejects.toThrow(
      `${ragged}: row 2 (line 3) has 1 cells but the header has 2`,
    )
    const text = await csv('text.csv', 'a,b\n1,x\n')
    await expect(loadCsvDataset(text, 'c')).rejects.toThrow(`${text} has no column "c"; its columns are: a, b.`)
    await expect(loadCsvDataset(text, 'b', {task: 'regression'})).rejects.toThrow(
      `${text}: row 1 (line 2), column "b": "x" is not a number`,
    )
    await expect(loadCsvDataset(join(dir, 'absent.csv'), 'b')).rejects.toThrow(/^Cannot read .*absent\.csv/)
  })

  it('names row and column of a cell too large for float32, in a feature or a numeric target', async () => {
    const huge = await csv('huge.csv', 'price,promo,units\n2.5,0,100\n3,1e400,120\n')
    await expect(loadCsvDataset(huge, 'units')).rejects.toThrow(
      `${huge}: row 2 (line 3), column "promo": 1e400 is beyond the float32 range (±3.4e38) mlctl computes in; rescale the column, fix the cell, or empty it to mark the value missing.`,
    )
    const negative = await csv('negative.csv', 'price,units\n-1e400,1\n2,3\n')
    await expect(loadCsvDataset(negative, 'units')).rejects.toThrow(
      `${negative}: row 1 (line 2), column "price": -1e400 is beyond the float32 range`,
    )
    // finite as a double, Infinity once stored as float32
    const float32 = await csv('float32.csv', 'price,units\n1,5e38\n2,3\n')
    await expect(loadCsvDataset(float32, 'units')).rejects.toThrow(
      `${float32}: row 1 (line 2), column "units": 5e38 is beyond the float32 range`,
    )
    const literal = await csv('infinity.csv', 'price,units\nInfinity,1\n2,3\n')
    await expect(loadCsvDataset(literal, 'units')).rejects.toThrow(
      `${literal}: row 1 (line 2), column "price": Infinity is not a finite number; fix the cell, or empty it to mark the value missing.`,
    )
    // In the target too: one infinite cell does not turn a numeric target into classes.
    const target = await csv('infinite-target.csv', 'price,units\n1,3\n2,-inf\n')
    await expect(loadCsvDataset(target, 'units')).rejects.toThrow(
      `${target}: row 2 (line 3), column "units": -inf is not a finite number`,
    )
  })

  it('reads NaN text as a missing cell, one of the missing spellings', async () => {
    const file = await csv('nan.csv', 'price,units\n1,3\nNaN,4\n3,5\n')
    const dataset = await loadCsvDataset(file, 'units', {testFraction: 0})
    expect(dataset.featureNames).toEqual(['price', 'price missing'])
    expect([...dataset.train.inputs]).toEqual([1, 0, 2, 1, 3, 0])
  })

  it('refuses a classification target with a single class, naming it', async () => {
    const file = await csv('one-class.csv', 'x,label\n1,cat\n2,cat\n3,cat\n')
    const error = await loadCsvDataset(file, 'label').catch((e) => e)
    expect(error).toBeInstanceOf(UserError)
    expect(error.message).toBe(
      `${file}: the target "label" has a single class ("cat"); a classifier needs at least two, so add rows of other classes or choose another --target.`,
    )
    const numeric = await csv('one-number.csv', 'x,y\n1,7\n2,7\n')
    await expect(loadCsvDataset(numeric, 'y', {task: 'classification'})).rejects.toThrow('has a single class ("7")')
    await expect(loadCsvDataset(numeric, 'y', {testFraction: 0})).resolves.toMatchObject({task: 'regression'})
  })

  it('refuses duplicate column names, naming the column and both positions', async () => {
    const file = await csv('duplicate.csv', 'a,a,y\n1,2,x\n3,4,z\n')
    await expect(loadCsvDataset(file, 'y')).rejects.toThrow(
      `${file}: the header names column "a" twice (columns 1 and 2); give every column its own name.`,
    )
    const spaced = await csv('spaced.csv', 'y, b ,c,b\n1,2,3,4\n')
    await expect(loadCsvDataset(spaced, 'y')).rejects.toThrow('column "b" twice (columns 2 and 4)')
  })

  it('reads the cars example: numbers, a date, a category and missing horsepower', async () => {
    const dataset = await loadCsvDataset('examples/cars.csv', 'Miles_per_Gallon')
    expect(dataset.task).toBe('regression')
    expect(dataset.featureNames).toEqual([
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
    expect(dataset.train.count + (dataset.test?.count ?? 0)).toBe(398)
  })
})

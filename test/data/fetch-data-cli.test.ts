import {mkdtemp, readdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {mlctl as runMlctl} from '../helpers/mlctl-cli.js'
import {refusedPortUrl} from './file-server.js'

let dataDir: string
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mlctl-cli-'))
})
afterAll(() => rm(dataDir, {recursive: true, force: true}))

const mlctl = (...args: string[]) => runMlctl(['fetch-data', ...args], {MLCTL_DATA_DIR: dataDir})

describe('mlctl fetch-data', () => {
  it('--list --json prints the registry', () => {
    const {code, stdout} = mlctl('--list', '--json')
    expect(code).toBe(0)
    const registry = JSON.parse(stdout)
    expect(registry.map((e: {name: string}) => e.name)).toEqual([
      'mnist-sample',
      'mnist',
      'fashion-mnist',
      'cifar10',
      'imdb',
      'ag-news',
      'sms-spam',
    ])
    expect(registry[1].files[0]).toMatchObject({name: 'train-images-idx3-ubyte.gz', bytes: 9_912_422})
  })

  it('loads the embedded mnist-sample offline and prints a summary', () => {
    const {code, stdout} = mlctl('mnist-sample')
    expect(code).toBe(0)
    expect(stdout).toMatch(/^mnist-sample\n/)
    expect(stdout).toContain('  train     8,000 examples')
    expect(stdout).toContain('  test      2,000 examples')
    expect(stdout).toContain('  input     1×28×28 uint8')
    expect(stdout).toContain('CC BY-SA 3.0')
    expect(stdout).not.toContain('\u001B[') // NO_COLOR
  })

  it('--json prints the summary as JSON', () => {
    const {code, stdout} = mlctl('mnist-sample', '--json')
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toMatchObject({
      name: 'mnist-sample',
      inputShape: [1, 28, 28],
      splits: {train: 8000, test: 2000},
      licence: 'CC BY-SA 3.0',
    })
  })

  it('rejects an unknown dataset with one line listing the valid names', () => {
    const {code, stdout, stderr} = mlctl('imagenet')
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toBe(
      'Error: Unknown dataset "imagenet"; valid names: mnist-sample, mnist, fashion-mnist, cifar10, imdb, ag-news, sms-spam, or a path to a .csv file.\n',
    )
  })

  it('fails fast with a clear message when no mirror answers, leaving nothing behind', async () => {
    const started = Date.now()
    const {code, stderr} = mlctl('mnist', '--mirror', `${await refusedPortUrl()}/`)
    expect(code).toBe(1)
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(stderr).toMatch(
      /^Error: Could not download train-images-idx3-ubyte\.gz \(http:\/\/127\.0\.0\.1:\d+\/train-images-idx3-ubyte\.gz: connection refused\)/m,
    )
    expect(await readdir(join(dataDir, 'mnist'))).toEqual([])
  })

  it('summarises a CSV table with --target', () => {
    const {code, stdout} = mlctl('examples/cars.csv', '--target', 'Miles_per_Gallon')
    expect(code).toBe(0)
    expect(stdout).toContain('  task      regression')
    expect(stdout).toContain('  target    Miles_per_Gallon')
  })

  it('refuses a CSV with an out-of-range cell, a single class or a duplicate column: exit 1, one line', async () => {
    const cases = [
      ['x,y\n1,a\n1e400,b\n', 'row 2 (line 3), column "x": 1e400 is beyond the float32 range'],
      ['x,y\n1,a\n2,a\n', 'the target "y" has a single class ("a")'],
      ['x,x,y\n1,2,a\n3,4,b\n', 'the header names column "x" twice (columns 1 and 2)'],
    ]
    for (const [i, [text, message]] of cases.entries()) {
      const file = join(dataDir, `table-${i}.csv`)
      await writeFile(file, text)
      const {code, stdout, stderr} = mlctl(file, '--target', 'y')
      expect(code).toBe(1)
      expect(stdout).toBe('')
      expect(stderr.trim().split('\n')).toHaveLength(1)
      expect(stderr).toContain(message)
    }
  })
})

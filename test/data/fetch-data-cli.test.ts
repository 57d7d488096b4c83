import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdtemp, readdir, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {refusedPortUrl} from './file-server.js'

// bin/run.js runs the compiled dist/, so compile first: the test must see the current sources.
// tsc's exit code is not checked here (npm ci's prepare step fails the build on type errors).
let dataDir: string
beforeAll(async () => {
  spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], {stdio: 'ignore'})
  if (!existsSync('dist/commands/fetch-data.js')) throw new Error('tsc produced no dist/commands/fetch-data.js')
  dataDir = await mkdtemp(join(tmpdir(), 'mlctl-cli-'))
}, 120_000)
afterAll(() => rm(dataDir, {recursive: true, force: true}))

function mlctl(...args: string[]) {
  const result = spawnSync('node', ['bin/run.js', 'fetch-data', ...args], {
    encoding: 'utf8',
    env: {...process.env, NO_COLOR: '1', MLCTL_DATA_DIR: dataDir},
    timeout: 60_000,
  })
  return {code: result.status, stdout: result.stdout, stderr: result.stderr}
}

describe('mlctl fetch-data', () => {
  it('--list --json prints the registry', () => {
    const {code, stdout} = mlctl('--list', '--json')
    expect(code).toBe(0)
    const registry = JSON.parse(stdout)
    expect(registry.map((e: {name: string}) => e.name)).toEqual(['mnist-sample', 'mnist', 'fashion-mnist', 'cifar10'])
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
    expect(JSON.parse(stdout)).toMatchObject({name: 'mnist-sample', inputShape: [1, 28, 28], splits: {train: 8000, test: 2000}, licence: 'CC BY-SA 3.0'})
  })

  it('rejects an unknown dataset with one line listing the valid names', () => {
    const {code, stdout, stderr} = mlctl('imagenet')
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toBe('Error: Unknown dataset "imagenet"; valid names: mnist-sample, mnist, fashion-mnist, cifar10, or a path to a .csv file.\n')
  })

  it('fails fast with a clear message when no mirror answers, leaving nothing behind', async () => {
    const started = Date.now()
    const {code, stderr} = mlctl('mnist', '--mirror', `${await refusedPortUrl()}/`)
    expect(code).toBe(1)
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(stderr).toMatch(/^Error: Could not download train-images-idx3-ubyte\.gz \(http:\/\/127\.0\.0\.1:\d+\/train-images-idx3-ubyte\.gz: connection refused\)/m)
    expect(await readdir(join(dataDir, 'mnist'))).toEqual([])
  })

  it('summarises a CSV table with --target', () => {
    const {code, stdout} = mlctl('examples/retail-demand.csv', '--target', 'units_sold')
    expect(code).toBe(0)
    expect(stdout).toContain('  task      regression')
    expect(stdout).toContain('  target    units_sold')
  })
})

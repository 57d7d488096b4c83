import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {loadTfjs} from '../../src/core/tfjs-engine/load-tfjs.js'
import {mlctl} from '../helpers/mlctl-cli.js'

const scratch = mkdtempSync(join(tmpdir(), 'mlctl-train-tfjs-'))
afterAll(() => rmSync(scratch, {recursive: true, force: true}))

describe('mlctl train --engine tfjs', () => {
  it('names the backend at the start and warns once on stderr when it is pure JavaScript', async () => {
    const out = join(scratch, 'run')
    const result = mlctl([
      'train',
      '--engine',
      'tfjs',
      '--data',
      'examples/cars.csv',
      '--target',
      'Miles_per_Gallon',
      '--model',
      'mlp',
      '--loss',
      'mse',
      '--epochs',
      '1',
      '--out',
      out,
    ])
    expect(result.code, result.stderr).toBe(0)
    // The CLI loads the backend this process loads: where tfjs-node installs, it names that and does not warn.
    const {native, description} = await loadTfjs()
    expect(result.stderr).toContain(`engine    ${description}`)
    if (native) {
      expect(result.stderr).not.toMatch(/Warning: TensorFlow\.js runs in pure JavaScript/)
    } else {
      expect(result.stderr.match(/Warning: TensorFlow\.js runs in pure JavaScript/g)).toHaveLength(1)
      expect(result.stderr).toMatch(/engine {4}TensorFlow\.js 4\.22\.0, pure JavaScript \(cpu backend, 1 thread\)/)
    }
    expect(result.stdout).toContain(`Run saved in ${out}`)
  })

  it('--help says which backends --engine tfjs uses', () => {
    const help = mlctl(['train', '--help'])
    const text = help.stdout.replace(/\s+/g, ' ')
    expect(text).toContain(
      '--engine tfjs trains the same model with TensorFlow.js: native TensorFlow through @tensorflow/tfjs-node when it is installed, otherwise pure JavaScript',
    )
  })
})

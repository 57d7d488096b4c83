import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {readCheckpoint} from '../../src/core/train/checkpoint-file.js'
import {mlctl, startMlctl} from '../helpers/mlctl-cli.js'

const scratch = mkdtempSync(join(tmpdir(), 'mlctl-augment-'))
const dir = (name: string) => join(scratch, name)

function weightsOf(checkpoint: string): Map<string, number[]> {
  const {tensors} = readCheckpoint(checkpoint)
  return new Map(Object.entries(tensors).map(([name, t]) => [name, Array.from(t.data)]))
}

describe('mlctl train --augment', () => {
  it('an interrupted augmented run resumes to the weights of an uninterrupted one, and augmenting changes them', async () => {
    const args = ['train', '--epochs', '2', '--threads', '1', '--model', 'mlp', '--augment', 'flip,crop,color']
    const whole = mlctl([...args, '--out', dir('whole')])
    expect(whole.code, whole.stderr).toBe(0)
    expect(whole.stderr).toContain(
      'augment   crop (4 px zero padding), horizontal flip, brightness and contrast ±20% (training batches only)',
    )
    expect(JSON.parse(readFileSync(join(dir('whole'), 'config.json'), 'utf8')).config.augment).toBe('flip,crop,color')

    const run = startMlctl([...args, '--out', dir('split')])
    await run.waitForStderr(/epoch 1\/2/)
    run.child.kill('SIGINT')
    const interrupted = await run.exited
    expect(interrupted.code).toBe(130)
    const checkpoint = readCheckpoint<{loop: {epoch: number; step: number}}>(join(dir('split'), 'checkpoints/last'))
    expect(checkpoint.meta.loop.epoch).toBe(1) // stopped inside epoch 2, after at least one step
    expect(checkpoint.meta.loop.step).toBeGreaterThan(0)

    const resumed = mlctl(['train', '--resume', dir('split')]) // the augmentation comes from config.json
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.stderr).toMatch(/Resuming .* at epoch 2, step \d+/)
    expect(resumed.stderr).toContain('augment   crop (4 px zero padding)')
    const wholeWeights = weightsOf(join(dir('whole'), 'checkpoints/last'))
    expect(weightsOf(join(dir('split'), 'checkpoints/last'))).toEqual(wholeWeights)

    const plain = mlctl(['train', '--epochs', '2', '--threads', '1', '--model', 'mlp', '--out', dir('plain')])
    expect(plain.code, plain.stderr).toBe(0)
    expect(plain.stderr).not.toContain('  augment  ')
    expect(weightsOf(join(dir('plain'), 'checkpoints/last'))).not.toEqual(wholeWeights)
  })

  describe('bad input: one line naming the problem, exit 1, no run directory', () => {
    const expectOneLineError = (args: string[], message: string, out: string) => {
      const result = mlctl([...args, '--out', out])
      expect(result.code).toBe(1)
      expect(result.stderr).toBe(`Error: ${message}\n`)
      expect(existsSync(out)).toBe(false)
    }

    it('an unknown augmentation', () =>
      expectOneLineError(
        ['train', '--augment', 'flip,rotate'],
        'augment: unknown augmentation "rotate"; use a comma-separated list of flip, crop, color (or none)',
        dir('unknown'),
      ))
    it('an unknown augmentation in a --config file', () => {
      const config = dir('augment.yaml')
      writeFileSync(config, 'augment: blur\n')
      expectOneLineError(
        ['train', '--config', config],
        'augment: unknown augmentation "blur"; use a comma-separated list of flip, crop, color (or none)',
        dir('unknown-config'),
      )
    })
    it('augmenting a table', () => {
      const csv = dir('table.csv')
      writeFileSync(csv, `a,b,y\n${Array.from({length: 20}, (_, i) => `${i},${i % 3},${i % 2}`).join('\n')}\n`)
      expectOneLineError(
        ['train', '--data', csv, '--target', 'y', '--augment', 'flip'],
        '--augment flip needs images, but table has inputs of shape [2]; leave --augment out',
        dir('table-run'),
      )
    })
  })
})

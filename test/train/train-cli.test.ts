import * as tf from '@tensorflow/tfjs'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {loadDataset} from '../../src/core/data/index.js'
import {Trainer} from '../../src/core/engine/index.js'
import {readLayersModelDir} from '../../src/core/tfjs-format/layers-model-dir.js'
import {readCheckpoint} from '../../src/core/train/checkpoint-file.js'
import {mlctl, startMlctl} from '../helpers/mlctl-cli.js'

const scratch = mkdtempSync(join(tmpdir(), 'mlctl-train-'))
const dir = (name: string) => join(scratch, name)

function weightsOf(checkpoint: string): Map<string, number[]> {
  const {tensors} = readCheckpoint(checkpoint)
  return new Map(Object.entries(tensors).map(([name, t]) => [name, Array.from(t.data)]))
}

describe('mlctl train', () => {
  let defaultRun: string
  beforeAll(() => {
    defaultRun = dir('default')
    const result = mlctl(['train', '--epochs', '2', '--out', defaultRun, '--json'])
    expect(result.code, result.stderr).toBe(0)
  })

  it('writes every artifact of a run, and --json reports it', () => {
    for (const file of [
      'config.json',
      'metrics.jsonl',
      'learning-curve.svg',
      'model/model.json',
      'model/weights.bin',
      'checkpoints/last',
      'checkpoints/best',
    ]) {
      expect(() => readFileSync(join(defaultRun, file)), file).not.toThrow()
    }
    const config = JSON.parse(readFileSync(join(defaultRun, 'config.json'), 'utf8'))
    expect(config.config).toMatchObject({dataset: 'mnist-sample', model: 'lenet', epochs: 2, seed: 42})
    expect(config.versions.onnxruntime).toBe('1.30.0')
    const lines = readFileSync(join(defaultRun, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines.map((l) => l.epoch)).toEqual([1, 2])
    for (const l of lines) {
      expect(l).toEqual(
        expect.objectContaining({
          trainLoss: expect.any(Number),
          valLoss: expect.any(Number),
          valMetric: expect.any(Number),
          lr: expect.any(Number),
          imagesPerSec: expect.any(Number),
        }),
      )
    }
    expect(lines[1].trainLoss).toBeLessThan(lines[0].trainLoss)
    expect(lines[1].lr).toBeLessThan(lines[0].lr) // the default cosine schedule
    expect(readFileSync(join(defaultRun, 'learning-curve.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<polyline/)
  })

  it('saves a model/ that tf.loadLayersModel loads and that predicts the classes the engine predicts', async () => {
    const {spec, weights} = readLayersModelDir(join(defaultRun, 'model'))
    const json = JSON.parse(readFileSync(join(defaultRun, 'model/model.json'), 'utf8'))
    const weightData = readFileSync(join(defaultRun, 'model/weights.bin'))
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: new Uint8Array(weightData).buffer,
      }),
    )
    const test = (await loadDataset('mnist-sample')).test!
    const n = 200
    const images = test.inputs.subarray(0, n * 784) as Uint8Array
    // NCHW with one channel has the same memory order as NHWC.
    const tfjsClasses = Array.from(
      await (model.predict(tf.tensor4d(Float32Array.from(images), [n, 28, 28, 1])) as tf.Tensor).argMax(1).data(),
    )

    const trainer = await Trainer.create({
      spec,
      loss: {name: 'softmaxCrossEntropy'},
      optimizer: {name: 'sgd', lr: 0},
      seed: 0,
      threads: 1,
    })
    trainer.setWeights(weights)
    const logits = await trainer.predict(images, n, 64)
    await trainer.release()
    const engineClasses = Array.from({length: n}, (_, i) => {
      const row = Array.from(logits.subarray(i * 10, i * 10 + 10))
      return row.indexOf(Math.max(...row))
    })
    expect(tfjsClasses).toEqual(engineClasses)
    const correct = engineClasses.filter((c, i) => c === test.targets[i]).length
    expect(correct / n).toBeGreaterThan(0.9)
  })

  it('an interrupted and resumed run ends with the same weights as an uninterrupted one', async () => {
    const args = [
      'train',
      '--epochs',
      '2',
      '--threads',
      '1',
      '--model',
      'mlp',
      '--optimizer',
      'momentum',
      '--schedule',
      'cosine',
    ]
    const whole = mlctl([...args, '--out', dir('whole')])
    expect(whole.code, whole.stderr).toBe(0)

    const run = startMlctl([...args, '--out', dir('split')])
    await run.waitForStderr(/epoch 1\/2/)
    run.child.kill('SIGINT')
    const interrupted = await run.exited
    expect(interrupted.code).toBe(130)
    expect(interrupted.stderr).toContain(`Resume with: mlctl train --resume ${dir('split')}`)
    const checkpoint = readCheckpoint<{loop: {epoch: number; step: number}}>(join(dir('split'), 'checkpoints/last'))
    expect(checkpoint.meta.loop.epoch).toBe(1) // stopped inside epoch 2, after at least one step
    expect(checkpoint.meta.loop.step).toBeGreaterThan(0)

    const resumed = mlctl(['train', '--resume', dir('split')])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.stderr).toMatch(/Resuming .* at epoch 2, step \d+/)
    expect(weightsOf(join(dir('split'), 'checkpoints/last'))).toEqual(weightsOf(join(dir('whole'), 'checkpoints/last')))
  })

  it('stops early when the validation metric stops improving', () => {
    // lr 0 leaves the weights as they are, so validation accuracy never improves after epoch 1.
    const result = mlctl([
      'train',
      '--model',
      'mlp',
      '--epochs',
      '5',
      '--optimizer',
      'sgd',
      '--lr',
      '0',
      '--early-stop',
      '2',
      '--out',
      dir('early'),
      '--json',
    ])
    expect(result.code, result.stderr).toBe(0)
    const report = JSON.parse(result.stdout)
    expect(report.outcome).toBe('early-stopped')
    expect(report.final.epoch).toBe(3)
    expect(report.best.epoch).toBe(1)
  })

  it('trains a CSV regression with MSE and its loss falls', () => {
    const result = mlctl([
      'train',
      '--data',
      'examples/retail-demand.csv',
      '--target',
      'units_sold',
      '--model',
      'mlp',
      '--loss',
      'mse',
      '--epochs',
      '8',
      '--lr',
      '0.01',
      '--out',
      dir('csv'),
      '--json',
    ])
    expect(result.code, result.stderr).toBe(0)
    const lines = readFileSync(join(dir('csv'), 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines.at(-1).trainLoss).toBeLessThan(lines[0].trainLoss / 2)
    expect(JSON.parse(result.stdout).metric).toBe('mae')
  })

  describe('bad input: one line naming the problem, non-zero exit, nothing left behind', () => {
    const expectOneLineError = (args: string[], pattern: RegExp) => {
      const result = mlctl(args)
      expect(result.code).not.toBe(0)
      expect(result.stderr).toMatch(pattern)
      expect(result.stderr).not.toMatch(/\n\s+at /) // no stack trace without --verbose
      return result
    }

    it('unknown dataset', () => expectOneLineError(['train', '--dataset', 'nope'], /Unknown dataset .*nope/i))
    it('unknown model', () =>
      expectOneLineError(
        ['train', '--model', 'resnet9000'],
        /'resnet9000' is neither a preset \(mlp, lenet, cnn\) nor a readable spec file/,
      ))
    it('spec errors name the layer', () => {
      const spec = dir('bad-spec.json')
      writeFileSync(
        spec,
        JSON.stringify({
          layers: [
            {type: 'conv2d', filters: 4, kernel: 3},
            {type: 'maxPool2d', size: 2},
            {type: 'conv2d', filters: 4, kernel: 20},
            {type: 'flatten'},
            {type: 'dense', units: 10},
          ],
        }),
      )
      expectOneLineError(['train', '--model', spec], /layer 3 conv2d: kernel 20 larger than input 13x13/)
    })
    it('a CSV with a bad cell names row and column', () => {
      const csv = dir('bad.csv')
      writeFileSync(csv, 'a,b,y\n1,2,3\n4,oops,6\n')
      expectOneLineError(['train', '--data', csv, '--target', 'y', '--model', 'mlp'], /oops.*\b(b)\b|\b(b)\b.*oops/)
    })
    it('NaN loss stops with a clear message and keeps the last good checkpoint', () => {
      const out = dir('nan')
      const first = mlctl([
        'train',
        '--model',
        'mlp',
        '--optimizer',
        'sgd',
        '--lr',
        '0.01',
        '--epochs',
        '1',
        '--out',
        out,
      ])
      expect(first.code, first.stderr).toBe(0)
      const good = weightsOf(join(out, 'checkpoints/last'))
      // Resume for a second epoch with a learning rate that blows the weights up.
      const result = expectOneLineError(
        ['train', '--resume', out, '--epochs', '2', '--lr', '1e30'],
        /the loss became (NaN|Infinity|-Infinity) at epoch 2 step \d+; lower --lr .*checkpoints\/last from epoch 1 is kept/,
      )
      expect(result.code).toBe(1)
      expect(weightsOf(join(out, 'checkpoints/last'))).toEqual(good)
    })
    it('--resume of a run with another model', () => {
      expectOneLineError(
        ['train', '--resume', defaultRun, '--model', 'mlp', '--epochs', '3'],
        /was trained with a different model spec/,
      )
    })
    it('--resume of a directory that is not a run', () =>
      expectOneLineError(['train', '--resume', scratch], /is not a training run/))
    it('--out that exists is never overwritten', () =>
      expectOneLineError(['train', '--out', defaultRun], /already exists; choose another --out/))
  })
})

import * as tf from '@tensorflow/tfjs'
import {spawnSync} from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
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

/** The pid of a process that has exited: what a killed writer leaves in its temp names. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid
}

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
      'examples/cars.csv',
      '--target',
      'Miles_per_Gallon',
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

  describe('a run whose process died resumes to the result of an uninterrupted run', () => {
    const args = ['train', '--epochs', '2', '--threads', '1', '--model', 'mlp']
    let whole: string
    let wholeOutput: string
    beforeAll(() => {
      whole = dir('died-whole')
      const result = mlctl([...args, '--out', whole])
      expect(result.code, result.stderr).toBe(0)
      wholeOutput = result.stdout
    })

    it('killed after its final checkpoint: --resume writes model/, tests it and removes dead temp files', () => {
      const run = dir('died-late')
      const result = mlctl([...args, '--out', run])
      expect(result.code, result.stderr).toBe(0)
      const metrics = readFileSync(join(run, 'metrics.jsonl'), 'utf8')
      // What kill -9 leaves after checkpoints/last of epoch 2: no model/, epoch 2 missing from metrics.jsonl,
      // the half-written model folder and a checkpoint temp file; and a temp file of a process still running.
      rmSync(join(run, 'model'), {recursive: true})
      writeFileSync(join(run, 'metrics.jsonl'), metrics.split('\n')[0] + '\n')
      const dead = deadPid()
      mkdirSync(join(run, `.model.${dead}.tmp`))
      writeFileSync(join(run, `.model.${dead}.tmp`, 'weights.bin'), 'partial')
      writeFileSync(join(run, 'checkpoints', `.last.${dead}.tmp`), 'partial')
      const live = join(run, `.metrics.jsonl.${process.pid}.tmp`)
      writeFileSync(live, 'being written')

      const exported = mlctl(['export-onnx', run])
      expect(exported.stderr).toMatch(/has no model\/ yet: the run did not finish; finish it with mlctl train --resume/)
      const resumed = mlctl(['train', '--resume', run])
      expect(resumed.code, resumed.stderr).toBe(0)
      expect(resumed.stderr).toMatch(/Finishing .*died-late: training ended at epoch 2/)
      expect(resumed.stdout.replaceAll(run, whole)).toBe(wholeOutput) // best epoch, test result
      expect(readFileSync(join(run, 'model/weights.bin'))).toEqual(readFileSync(join(whole, 'model/weights.bin')))
      expect(readFileSync(join(run, 'metrics.jsonl'), 'utf8')).toBe(metrics)
      expect(readdirSync(run).filter((f) => f.startsWith('.'))).toEqual([`.metrics.jsonl.${process.pid}.tmp`])
      expect(readdirSync(join(run, 'checkpoints'))).toEqual(['best', 'last'])
      rmSync(live)

      const again = mlctl(['train', '--resume', run])
      expect(again.code).toBe(1)
      expect(again.stderr).toMatch(/already finished 2 epochs; pass a larger --epochs to train it further/)
    })

    it('killed after an early stop: --resume finishes it without training further', () => {
      const early = ['train', '--model', 'mlp', '--epochs', '5', '--optimizer', 'sgd', '--lr', '0', '--early-stop', '2']
      const run = dir('died-early-stop')
      const result = mlctl([...early, '--out', run])
      expect(result.code, result.stderr).toBe(0)
      expect(result.stdout).toMatch(/Early stop: no better validation accuracy for 2 epochs/)
      const weights = readFileSync(join(run, 'model/weights.bin'))
      rmSync(join(run, 'model'), {recursive: true})

      const resumed = mlctl(['train', '--resume', run])
      expect(resumed.code, resumed.stderr).toBe(0)
      expect(resumed.stdout).toBe(result.stdout)
      expect(readFileSync(join(run, 'model/weights.bin'))).toEqual(weights)
      expect(readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3)

      const again = mlctl(['train', '--resume', run])
      expect(again.code).toBe(1)
      expect(again.stderr).toMatch(/stopped early after epoch 3 .*pass a larger --early-stop than 2, or --early-stop 0/)
    })

    it('killed before its first checkpoint: --resume starts it from epoch 1 with its own config', () => {
      const run = dir('died-first-epoch')
      mkdirSync(join(run, 'checkpoints'), {recursive: true})
      copyFileSync(join(whole, 'config.json'), join(run, 'config.json'))
      expect(mlctl([...args, '--out', run]).stderr).toMatch(/already exists; .*continue it with --resume/)

      const resumed = mlctl(['train', '--resume', run])
      expect(resumed.code, resumed.stderr).toBe(0)
      expect(resumed.stderr).toMatch(/Resuming .*died-first-epoch at epoch 1, step 0/)
      expect(resumed.stdout.replaceAll(run, whole)).toBe(wholeOutput)
      expect(weightsOf(join(run, 'checkpoints/last'))).toEqual(weightsOf(join(whole, 'checkpoints/last')))
      expect(readFileSync(join(run, 'model/weights.bin'))).toEqual(readFileSync(join(whole, 'model/weights.bin')))
    })

    it('a NaN loss in epoch 1 says how to start again, and --resume with a lower --lr does', () => {
      const run = dir('nan-first-epoch')
      const failed = mlctl([
        'train',
        '--model',
        'mlp',
        '--optimizer',
        'sgd',
        '--lr',
        '1e30',
        '--epochs',
        '1',
        '--out',
        run,
      ])
      expect(failed.code).toBe(1)
      expect(failed.stderr).toContain(
        `no epoch had finished, so nothing was saved (mlctl train --resume ${run} --lr 1e+29 starts it again from epoch 1)`,
      )
      expect(readdirSync(join(run, 'checkpoints'))).toEqual([])
      const resumed = mlctl(['train', '--resume', run, '--lr', '0.01'])
      expect(resumed.code, resumed.stderr).toBe(0)
      expect(existsSync(join(run, 'model/model.json'))).toBe(true)
    })
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
        /'resnet9000' is neither a preset \(mlp, lenet, lenet-cifar, cnn, bag, textcnn\) nor a readable spec file/,
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
      writeFileSync(csv, 'a,b,y\n1,2,3\n4,oops,6\n7,8,9\n')
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
    it('--out under a regular file says the file is in the way', () => {
      const file = dir('a-file')
      writeFileSync(file, '')
      const result = expectOneLineError(
        ['train', '--out', join(file, 'run')],
        /^Error: cannot create run directory \S+ \S+a-file is a file, not a directory; choose another --out\n$/,
      )
      expect(result.code).toBe(1)
    })
    it('a layer too large to allocate is named with its parameter count before anything is allocated', () => {
      const spec = dir('huge-spec.json')
      writeFileSync(
        spec,
        JSON.stringify({layers: [{type: 'flatten'}, {type: 'dense', units: 1e9}, {type: 'dense', units: 10}]}),
      )
      const result = expectOneLineError(
        ['train', '--model', spec, '--out', dir('huge')],
        /the model has 795,000,000,010 parameters \(3180\.0 GB as float32\), more than the 536,870,912 \(2 GiB\) an ONNX file can hold; layer 2 dense alone has 785,000,000,000/,
      )
      expect(result.code).toBe(1)
      expect(existsSync(dir('huge'))).toBe(false)
    })
    it('--out that exists is never overwritten', () =>
      expectOneLineError(['train', '--out', defaultRun], /already exists; choose another --out/))
  })
})

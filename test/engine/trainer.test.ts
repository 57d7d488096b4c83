import {afterEach, describe, expect, it} from 'vitest'
import {loadDataset} from '../../src/core/data/index.js'
import {Trainer} from '../../src/core/engine/index.js'
import type {TrainingEngineOptions} from '../../src/core/training/index.js'
import {UserError} from '../../src/core/errors.js'
import {sizeOf, type NamedTensor} from '../../src/core/model/parameters.js'
import {presetSpec} from '../../src/core/model/presets.js'
import type {ModelSpec} from '../../src/core/model/spec.js'
import {smallConvNet} from '../helpers/small-conv-net.js'
import {randomValues} from './helpers/gradient-check.js'

const trainers: Trainer[] = []
async function createTrainer(options: TrainingEngineOptions): Promise<Trainer> {
  const trainer = await Trainer.create(options)
  trainers.push(trainer)
  return trainer
}
afterEach(async () => {
  await Promise.all(trainers.splice(0).map((t) => t.release()))
})

const PIXELS = sizeOf(smallConvNet.inputShape)
const BATCH = 8
const images = Uint8Array.from(randomValues(6 * BATCH * PIXELS, 1, 0, 256).map(Math.floor))
const labels = Uint8Array.from({length: 6 * BATCH}, (_, i) => i % 3)
const smallOptions: TrainingEngineOptions = {
  spec: smallConvNet,
  loss: {name: 'softmaxCrossEntropy'},
  optimizer: {name: 'adam', lr: 0.01},
  seed: 3,
  threads: 2,
}

/** Steps [from, to) over the fixed batches; copies the batch or passes a view into the big arrays. */
async function train(trainer: Trainer, from: number, to: number, copy: boolean): Promise<void> {
  for (let step = from; step < to; step++) {
    const x = images.subarray(step * BATCH * PIXELS, (step + 1) * BATCH * PIXELS)
    const y = labels.subarray(step * BATCH, (step + 1) * BATCH)
    await trainer.step(copy ? x.slice() : x, copy ? y.slice() : y, BATCH)
  }
}

const sameBits = (a: NamedTensor[], b: NamedTensor[]) =>
  a.length === b.length &&
  a.every((w, i) => w.name === b[i].name && Buffer.from(w.data.buffer).equals(Buffer.from(b[i].data.buffer)))

describe('Trainer', () => {
  it('LeNet reaches > 95% test accuracy on the MNIST sample within 2 epochs', async () => {
    const data = await loadDataset('mnist-sample')
    const spec = presetSpec('lenet', {inputShape: data.inputShape, outputs: 10, inputType: 'uint8'})
    const trainer = await createTrainer({
      spec,
      loss: {name: 'softmaxCrossEntropy'},
      optimizer: {name: 'adam', lr: 3e-3},
      seed: 1,
      threads: 2,
    })
    const train = data.train
    const test = data.test!
    const batch = 64
    for (let epoch = 0; epoch < 2; epoch++) {
      for (let from = 0; from + batch <= train.count; from += batch) {
        await trainer.step(
          train.inputs.subarray(from * 784, (from + batch) * 784),
          train.targets.subarray(from, from + batch),
          batch,
        )
      }
    }
    const {loss, metric} = await trainer.evaluate(test.inputs, test.targets, test.count, 500)
    expect(metric).toBeGreaterThan(0.95)
    expect(loss).toBeLessThan(0.2)
  }, 120_000)

  it('gives bit-identical weights for the same seed and threads (views or copies of the data alike)', async () => {
    const a = await createTrainer(smallOptions)
    const b = await createTrainer(smallOptions)
    const c = await createTrainer({...smallOptions, seed: 4})
    await train(a, 0, 6, false)
    await train(b, 0, 6, true)
    await train(c, 0, 6, false)
    expect(sameBits(a.getWeights(), b.getWeights())).toBe(true)
    expect(sameBits(a.getWeights(), c.getWeights())).toBe(false)
  })

  it('resumes from weights and optimizer state exactly as if never interrupted (dropout masks included)', async () => {
    const uninterrupted = await createTrainer(smallOptions)
    await train(uninterrupted, 0, 6, false)
    const first = await createTrainer(smallOptions)
    await train(first, 0, 3, false)
    const weights = first.getWeights()
    const state = first.optimizer.getState()
    await first.release()
    const resumed = await createTrainer({...smallOptions, seed: smallOptions.seed})
    resumed.setWeights(weights)
    resumed.optimizer.setState(state)
    await train(resumed, 3, 6, false)
    expect(sameBits(resumed.getWeights(), uninterrupted.getWeights())).toBe(true)
    // the dropout masks depend on the step: resuming at step 0 instead must give other weights
    const wrongStep = await createTrainer(smallOptions)
    wrongStep.setWeights(weights)
    await train(wrongStep, 3, 6, false)
    expect(sameBits(wrongStep.getWeights(), uninterrupted.getWeights())).toBe(false)
  })

  it('updates batch-norm moving statistics with momentum and the unbiased batch variance', async () => {
    const spec: ModelSpec = {
      inputShape: [2],
      layers: [
        {type: 'batchNorm', momentum: 0.75},
        {type: 'dense', units: 1},
      ],
    }
    const trainer = await createTrainer({
      spec,
      loss: {name: 'mse'},
      optimizer: {name: 'sgd', lr: 0},
      seed: 1,
      threads: 1,
    })
    const x = Float32Array.from([1, 10, 2, 20, 6, 30])
    await trainer.step(x, new Float32Array(3), 3)
    const w = new Map(trainer.getWeights().map((t) => [t.name, Array.from(t.data)]))
    // channel 0: mean 3, unbiased variance 7; channel 1: mean 20, unbiased variance 100
    expect(w.get('batchNorm_1/movingMean')).toEqual([expect.closeTo(0.25 * 3, 5), expect.closeTo(0.25 * 20, 5)])
    expect(w.get('batchNorm_1/movingVariance')).toEqual([
      expect.closeTo(0.75 + 0.25 * 7, 4),
      expect.closeTo(0.75 + 0.25 * 100, 4),
    ])
  })

  it('evaluates and predicts consistently over uneven batches', async () => {
    const trainer = await createTrainer(smallOptions)
    await train(trainer, 0, 2, false)
    const n = 10
    const logits = await trainer.predict(images, n, 4)
    const {loss, metric} = await trainer.evaluate(images, labels, n, 3)
    let crossEntropy = 0
    let correct = 0
    for (let i = 0; i < n; i++) {
      const row = Array.from(logits.subarray(i * 3, i * 3 + 3))
      const max = Math.max(...row)
      crossEntropy += Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0)) + max - row[labels[i]]
      if (row.indexOf(max) === labels[i]) correct++
    }
    expect(loss).toBeCloseTo(crossEntropy / n, 5)
    expect(metric).toBeCloseTo(correct / n, 10)
  })

  it('trains binary cross-entropy from uint8 labels and regression from float targets', async () => {
    const binary = await createTrainer({
      spec: {inputShape: [3], layers: [{type: 'dense', units: 1}]},
      loss: {name: 'binaryCrossEntropy'},
      optimizer: {name: 'sgd', lr: 0.5},
      seed: 1,
      threads: 1,
    })
    const x = Float32Array.from([1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1])
    const y = Uint8Array.from([1, 0, 1, 0])
    const before = await binary.evaluate(x, y, 4, 4)
    for (let i = 0; i < 50; i++) await binary.step(x, y, 4)
    const after = await binary.evaluate(x, y, 4, 4)
    expect(after.loss).toBeLessThan(before.loss)
    expect(after.metric).toBe(1)

    const regression = await createTrainer({
      spec: presetSpec('mlp', {inputShape: [3], outputs: 2}),
      loss: {name: 'mse'},
      optimizer: {name: 'adam', lr: 0.01},
      seed: 1,
      threads: 1,
      metric: 'rmse',
    })
    const targets = Float32Array.from([1, -1, 0.5, 2, -0.5, 0, 1, 1])
    const start = await regression.evaluate(x, targets, 4, 2)
    for (let i = 0; i < 100; i++) await regression.step(x, targets, 4)
    expect((await regression.evaluate(x, targets, 4, 2)).metric).toBeLessThan(start.metric / 4)
  })

  it('rejects data and weights that do not fit the model with UserErrors', async () => {
    const trainer = await createTrainer(smallOptions)
    await expect(trainer.step(new Float32Array(BATCH * PIXELS), labels, BATCH)).rejects.toThrow(
      'the model takes uint8 inputs but got a Float32Array',
    )
    await expect(trainer.step(images, Uint8Array.from([0, 1, 7]), 3)).rejects.toThrow(
      'label 7 is out of range for a model with 3 outputs',
    )
    await expect(trainer.step(images.subarray(0, PIXELS), labels, 2)).rejects.toThrow(/fewer than the 2 asked for/)
    await expect(trainer.step(images, new Float32Array(BATCH), BATCH)).rejects.toThrow(UserError)
    const weights = trainer.getWeights()
    expect(() => trainer.setWeights(weights.slice(1))).toThrow('the weights lack tensor conv2d_1/kernel')
    expect(() => trainer.setWeights([...weights, {name: 'extra', shape: [1], data: new Float32Array(1)}])).toThrow(
      /tensor extra that this model does not/,
    )
    expect(() => trainer.setWeights(weights.map((w, i) => (i === 1 ? {...w, shape: [2, 2]} : w)))).toThrow(
      'weight conv2d_1/bias has shape [2,2]',
    )
    await expect(createTrainer({...smallOptions, seed: 1.5})).rejects.toThrow(UserError)
    await expect(createTrainer({...smallOptions, metric: 'mae'})).rejects.toThrow(/needs a regression loss/)
  })
})

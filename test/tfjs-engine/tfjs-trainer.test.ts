import {describe, expect, it} from 'vitest'
import type {LossConfig} from '../../src/core/training/index.js'
import {loadTfjs} from '../../src/core/tfjs-engine/load-tfjs.js'
import {TfjsTrainer} from '../../src/core/tfjs-engine/tfjs-trainer.js'
import {smallConvNet} from '../helpers/small-conv-net.js'
import {batchFor} from './helpers/compare.js'

const loss: LossConfig = {name: 'softmaxCrossEntropy'}
const create = () => TfjsTrainer.create({spec: smallConvNet, loss, optimizer: {name: 'adam', lr: 0.01}, seed: 9})
const N = 8

async function train(trainer: TfjsTrainer, from: number, to: number): Promise<void> {
  for (let step = from; step < to; step++) {
    const {x, y} = batchFor(trainer.model, loss, N, step)
    await trainer.step(x, y, N)
  }
}

describe('TfjsTrainer', () => {
  it('continues from its weights and optimizer state exactly as an uninterrupted run (dropout masks included)', async () => {
    const whole = await create()
    await train(whole, 0, 4)
    const first = await create()
    await train(first, 0, 2)
    const resumed = await create()
    resumed.setWeights(first.getWeights())
    resumed.optimizer.setState(first.optimizer.getState())
    await train(resumed, 2, 4)
    expect(resumed.getWeights()).toEqual(whole.getWeights())
  })

  it('leaves no TF.js tensor behind after step, evaluate and predict', async () => {
    const trainer = await create()
    const {tf} = await loadTfjs()
    const before = tf.memory().numTensors
    const {x, y} = batchFor(trainer.model, loss, N, 1)
    await trainer.step(x, y, N)
    await trainer.gradients(x, y, N)
    await trainer.evaluate(x, y, N, 3)
    await trainer.predict(x, N, 5)
    expect(tf.memory().numTensors).toBe(before)
  })

  it('rejects weights of another model and bad batches, leaving no tensor behind', async () => {
    const trainer = await create()
    const {tf} = await loadTfjs()
    const before = tf.memory().numTensors
    const weights = trainer.getWeights()
    expect(() => trainer.setWeights(weights.slice(1))).toThrow(/lack tensor conv2d_1\/kernel/)
    expect(() =>
      trainer.setWeights([...weights, {name: 'dense_9/kernel', shape: [1], data: new Float32Array(1)}]),
    ).toThrow(/dense_9\/kernel that this model does not/)
    await expect(trainer.step(new Float32Array(N * 72), new Uint8Array(N), N)).rejects.toThrow(/takes uint8 inputs/)
    await expect(trainer.step(new Uint8Array(N * 72), new Uint8Array(N).fill(3), N)).rejects.toThrow(
      /label 3 is out of range/,
    )
    await expect(trainer.evaluate(new Uint8Array(N * 72), new Uint8Array(N).fill(3), N, 4)).rejects.toThrow(
      /label 3 is out of range/,
    )
    expect(tf.memory().numTensors).toBe(before)
  })
})

/**
 * Training on CIFAR-shaped colour images with augmentation, in-process (the registry's cifar10 needs all
 * 60,000 images, too many for a test): the lenet-cifar preset learns through flips and crops, and both
 * engines take the same augmented batches.
 */
import * as ort from 'onnxruntime-node'
import {describe, expect, it} from 'vitest'
import type {DataSplit} from '../../src/core/data/dataset.js'
import {buildInferenceModel} from '../../src/core/engine/index.js'
import {presetSpec} from '../../src/core/model/presets.js'
import {Random} from '../../src/core/model/random.js'
import {engineFactory} from '../../src/core/train/engines.js'
import {imageAugmentation} from '../../src/core/train/image-augmentation.js'
import {initialLoopState, runTrainingLoop} from '../../src/core/train/training-loop.js'
import type {LossConfig} from '../../src/core/training/index.js'

const SHAPE = [3, 32, 32]
const PIXELS = 3 * 32 * 32
const loss: LossConfig = {name: 'softmaxCrossEntropy'}

/** Colour images whose class is the colour of a bright square at a random place (red, green, blue) on noise. */
function colorSquares(count: number, seed: number): DataSplit {
  const random = new Random(seed)
  const inputs = new Uint8Array(count * PIXELS)
  const targets = new Uint8Array(count)
  for (let n = 0; n < count; n++) {
    const label = Math.floor(random.next() * 3)
    targets[n] = label
    const image = inputs.subarray(n * PIXELS, (n + 1) * PIXELS)
    for (let i = 0; i < PIXELS; i++) image[i] = Math.floor(random.next() * 90)
    const [top, left] = [4 + Math.floor(random.next() * 12), 4 + Math.floor(random.next() * 12)]
    for (let y = top; y < top + 12; y++) for (let x = left; x < left + 12; x++) image[label * 1024 + y * 32 + x] = 230
  }
  return {inputs, targets, count}
}

async function train(engineName: 'ort' | 'tfjs', split: DataSplit, epochs: number, batchSize: number) {
  const spec = presetSpec('lenet-cifar', {inputShape: SHAPE, outputs: 3, inputType: 'uint8'})
  const engine = await engineFactory(engineName)({
    spec,
    loss,
    optimizer: {name: 'adam', lr: 0.003},
    seed: 3,
    threads: 1,
  })
  const augmentation = imageAugmentation(
    'crop,flip,color',
    {name: 'squares', inputShape: SHAPE, inputs: split.inputs},
    3,
  )
  const state = initialLoopState()
  await runTrainingLoop(
    engine,
    split,
    undefined,
    {epochs, batchSize, seed: 3, earlyStop: 0, higherIsBetter: true, currentLr: () => 0.003, augmentation},
    state,
    {checkpoint: () => {}, shouldStop: () => false},
  )
  return {engine, spec, history: state.history}
}

describe('augmented training on CIFAR-shaped colour images', () => {
  it('lenet-cifar learns through crops, flips and colour jitter; the exported model scores the same', async () => {
    const {engine, spec, history} = await train('ort', colorSquares(480, 1), 6, 32)
    const test = colorSquares(150, 2)
    try {
      const result = await engine.evaluate(test.inputs, test.targets, test.count, 150)
      expect(result.metric).toBeGreaterThan(0.9) // chance is 1/3
      expect(history.at(-1)!.trainLoss).toBeLessThan(history[0].trainLoss)

      const session = await ort.InferenceSession.create(buildInferenceModel(spec, engine.getWeights()))
      const output = await session.run({input: new ort.Tensor('uint8', test.inputs, [test.count, ...SHAPE])})
      await session.release()
      const logits = output.logits.data as Float32Array
      const correct = Array.from(test.targets).filter((label, n) => {
        const row = Array.from(logits.subarray(n * 3, n * 3 + 3))
        return row.indexOf(Math.max(...row)) === label
      }).length
      expect(correct / test.count).toBeCloseTo(result.metric, 6)
    } finally {
      await engine.release()
    }
  }, 60_000)

  it('both engines train on the same augmented batches', async () => {
    const split = colorSquares(48, 4)
    const [a, b] = [await train('ort', split, 1, 16), await train('tfjs', split, 1, 16)]
    await a.engine.release()
    await b.engine.release()
    expect(b.history[0].trainLoss).toBeCloseTo(a.history[0].trainLoss, 4)
    expect(b.history[0].trainMetric).toBe(a.history[0].trainMetric)
  }, 60_000)
})

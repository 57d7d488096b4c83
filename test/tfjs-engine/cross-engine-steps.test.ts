/**
 * After N optimizer steps on the same batches, both engines hold the same weights and moving statistics,
 * for every optimizer: the update rule is shared TypeScript, so this checks that each engine hands it the
 * same gradients step after step (dropout masks and batch-norm statistics included).
 */
import {describe, expect, it} from 'vitest'
import {Trainer} from '../../src/core/engine/index.js'
import type {LossConfig} from '../../src/core/training/index.js'
import {OPTIMIZER_NAMES, type OptimizerConfig} from '../../src/core/optim/index.js'
import {TfjsTrainer} from '../../src/core/tfjs-engine/tfjs-trainer.js'
import {smallConvNet} from '../helpers/small-conv-net.js'
import {batchFor, relativeError} from './helpers/compare.js'

/** Looser than the one-step tolerance: differences of ~1e-7 per step compound over the steps. */
const STEPS_TOLERANCE = 1e-4
const STEPS = 4
const BATCH = 6

const loss: LossConfig = {name: 'softmaxCrossEntropy'}

describe('TF.js and ONNX Runtime engines agree after optimizer steps', () => {
  it.each(OPTIMIZER_NAMES)('%s', async (name) => {
    const optimizer: OptimizerConfig = {
      name,
      lr: name === 'sgd' || name === 'momentum' ? 0.05 : 0.01,
      clipNorm: 5,
      schedule: {type: 'cosine', totalSteps: STEPS},
    }
    const ort = await Trainer.create({spec: smallConvNet, loss, optimizer, seed: 3, threads: 1})
    const tfjs = await TfjsTrainer.create({spec: smallConvNet, loss, optimizer, seed: 3})
    try {
      for (let step = 0; step < STEPS; step++) {
        const {x, y} = batchFor(tfjs.model, loss, BATCH, 100 + step)
        const [a, b] = [await ort.step(x, y, BATCH), await tfjs.step(x, y, BATCH)]
        expect(b.loss).toBeCloseTo(a.loss, 5)
      }
      const expected = ort.getWeights()
      tfjs.getWeights().forEach((w, i) => {
        const error = relativeError(w.data, expected[i].data)
        expect(error, `${w.name}: relative error ${error.toExponential(2)}`).toBeLessThan(STEPS_TOLERANCE)
      })
      expect(tfjs.optimizer.getState().step).toBe(STEPS)
    } finally {
      await ort.release()
      tfjs.release()
    }
  })
})

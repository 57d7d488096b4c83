import {describe, expect, it} from 'vitest'

import {initialLoopState, runTrainingLoop} from '../../src/core/train/training-loop.js'
import type {TrainingEngine} from '../../src/core/training/index.js'

/** An engine whose validation accuracy is 1 from epoch 2 on while its validation loss keeps falling. */
function saturatingEngine(): TrainingEngine {
  let evaluations = 0
  return {
    description: 'scripted',
    step: () => Promise.resolve({loss: 1, metric: 0.5}),
    evaluate: () => {
      evaluations++
      return Promise.resolve({loss: 1 / evaluations, metric: evaluations === 1 ? 0.9 : 1})
    },
  } as unknown as TrainingEngine
}

describe('the best epoch', () => {
  it('breaks a tie of the validation metric by the lower validation loss', async () => {
    const split = {inputs: new Float32Array(4), targets: new Uint8Array(4), count: 4}
    const state = initialLoopState()
    const best: number[] = []
    const outcome = await runTrainingLoop(
      saturatingEngine(),
      split,
      split,
      {epochs: 6, batchSize: 4, seed: 1, earlyStop: 3, higherIsBetter: true, currentLr: () => 0.001},
      state,
      {onEpoch: (record, isBest) => isBest && best.push(record.epoch), checkpoint: () => {}, shouldStop: () => false},
    )
    // Accuracy stops rising at epoch 2; the loss still falls, so each epoch is the best so far and early
    // stopping (3 epochs without a better one) never ends the run.
    expect(best).toEqual([1, 2, 3, 4, 5, 6])
    expect(outcome).toBe('completed')
    expect(state.best).toEqual({epoch: 6, metric: 1, loss: 1 / 6})
  })
})

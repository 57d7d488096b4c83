/**
 * Table models with category embeddings: from identical weights and the same batch, the TF.js engine
 * (autodiff; the pure-JavaScript backend's lookup gradient) and the ONNX Runtime engine (hand-written
 * categoryEmbedding rule) give the same loss and gradient of every trainable tensor, as
 * cross-engine-gradients.test.ts checks for the other layers.
 */
import {describe, expect, it} from 'vitest'
import {sizeOf} from '../../src/core/model/parameters.js'
import {presetSpec} from '../../src/core/model/presets.js'
import type {ModelSpec} from '../../src/core/model/spec.js'
import type {LossConfig} from '../../src/core/training/index.js'
import {TfjsTrainer} from '../../src/core/tfjs-engine/tfjs-trainer.js'
import {relativeError, TOLERANCE} from './helpers/compare.js'
import {ortGradients} from './helpers/ort-reference.js'

const SEED = 7
const BATCH = 8

/** Rows of [number, index of 5 categories, number, index of 9 categories] with a repeated and an unknown index. */
function batch(): Float32Array {
  const x = new Float32Array(BATCH * 4)
  for (let n = 0; n < BATCH; n++) x.set([Math.sin(n) * 3, n % 5, Math.cos(n) - 1, (n * 4) % 9], n * 4)
  x[4 * 3 + 3] = 11 // past the 9 indices: the unknown row 0
  return x
}

async function compare(spec: ModelSpec, loss: LossConfig, targets: Float32Array | Uint8Array): Promise<void> {
  const tfjs = await TfjsTrainer.create({spec, loss, optimizer: {name: 'sgd', lr: 0.1}, seed: SEED})
  const x = batch()
  const mine = await tfjs.gradients(x, targets, BATCH)
  const reference = await ortGradients(spec, loss, tfjs.getWeights(), x, targets, BATCH, SEED, 0)
  expect(relativeError([mine.loss], [reference.loss]), 'loss').toBeLessThan(TOLERANCE)
  expect(mine.gradients.map((g) => g.name)).toEqual(reference.gradients.map((g) => g.name))
  mine.gradients.forEach((g, i) => {
    expect(g.data.length).toBe(sizeOf(reference.gradients[i].shape))
    const error = relativeError(g.data, reference.gradients[i].data)
    expect(error, `${g.name}: relative error ${error.toExponential(2)}`).toBeLessThan(TOLERANCE)
  })
}

describe('TF.js and ONNX Runtime engines agree on category embeddings', () => {
  it('the mlp preset on two index columns, standardized numbers and a denormalized target', async () => {
    const spec = presetSpec('mlp', {
      inputShape: [4],
      outputs: 1,
      categoryColumns: [
        {column: 1, categories: 5},
        {column: 3, categories: 9},
      ],
    })
    expect(spec.layers.slice(0, 2)).toEqual([
      {type: 'categoryEmbedding', column: 3, categories: 9, dim: 5},
      {type: 'categoryEmbedding', column: 1, categories: 5, dim: 4},
    ])
    const scaled: ModelSpec = {
      ...spec,
      normalize: {mean: [0.5, 0, -1, 0], std: [2, 1, 0.5, 1]},
      denormalize: {mean: 40, std: 12},
    }
    await compare(
      scaled,
      {name: 'mse'},
      Float32Array.from({length: BATCH}, (_, n) => 30 + 4 * n),
    )
  })

  it('two categoryEmbedding layers straight into dense layers: the upper one passes its input gradient down', async () => {
    const spec: ModelSpec = {
      inputShape: [4],
      layers: [
        {type: 'categoryEmbedding', column: 3, categories: 9, dim: 2},
        {type: 'categoryEmbedding', column: 1, categories: 5, dim: 3},
        {type: 'dense', units: 3},
        {type: 'tanh'},
        {type: 'dense', units: 3},
      ],
    }
    await compare(
      spec,
      {name: 'softmaxCrossEntropy'},
      Uint8Array.from({length: BATCH}, (_, n) => n % 3),
    )
  })
})

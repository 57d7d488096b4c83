/**
 * Token models: from identical weights and the same padded batch of ids, the TF.js engine (autodiff) and the
 * ONNX Runtime engine (hand-written rules) give the same loss and gradient of every trainable tensor, for
 * embedding, conv1d, masked pooling, parallel branches and dropout on a sequence, as
 * cross-engine-gradients.test.ts checks for the image and table layers.
 */
import {describe, expect, it} from 'vitest'
import {sizeOf} from '../../src/core/model/parameters.js'
import {presetSpec, type PresetOptions} from '../../src/core/model/presets.js'
import type {ModelSpec} from '../../src/core/model/spec.js'
import {TfjsTrainer} from '../../src/core/tfjs-engine/tfjs-trainer.js'
import {tokenSplit} from '../helpers/token-dataset.js'
import {relativeError, TOLERANCE} from './helpers/compare.js'
import {ortGradients} from './helpers/ort-reference.js'

const SEED = 7
const BATCH = 6
const LENGTH = 9
const VOCAB = 30

async function compare(spec: ModelSpec): Promise<void> {
  const loss = {name: 'softmaxCrossEntropy'} as const
  const tfjs = await TfjsTrainer.create({spec, loss, optimizer: {name: 'sgd', lr: 0.1}, seed: SEED})
  const {inputs, targets} = tokenSplit(BATCH, LENGTH, VOCAB, 3)
  const mine = await tfjs.gradients(inputs, targets, BATCH)
  const reference = await ortGradients(spec, loss, tfjs.getWeights(), inputs, targets, BATCH, SEED, 0)
  expect(relativeError([mine.loss], [reference.loss]), 'loss').toBeLessThan(TOLERANCE)
  expect(mine.gradients.map((g) => g.name)).toEqual(reference.gradients.map((g) => g.name))
  mine.gradients.forEach((g, i) => {
    expect(g.data.length).toBe(sizeOf(reference.gradients[i].shape))
    const error = relativeError(g.data, reference.gradients[i].data)
    expect(error, `${g.name}: relative error ${error.toExponential(2)}`).toBeLessThan(TOLERANCE)
  })
}

const text: PresetOptions = {inputShape: [LENGTH], outputs: 2, inputType: 'int32', vocabSize: VOCAB}

describe('TF.js and ONNX Runtime engines agree on token models', () => {
  it.each(['bag', 'textcnn'] as const)('the %s preset', async (preset) => {
    await compare(presetSpec(preset, text))
  })

  it('conv1d stack, average pool, dropout on the sequence, padding id 3', async () => {
    await compare({
      inputShape: [LENGTH],
      inputType: 'int32',
      padId: 3,
      layers: [
        {type: 'embedding', vocab: VOCAB, dim: 4},
        {type: 'dropout', rate: 0.3},
        {type: 'conv1d', filters: 3, kernel: 2},
        {type: 'tanh'},
        {type: 'conv1d', filters: 2, kernel: 3},
        {type: 'globalAveragePool1d'},
        {type: 'dense', units: 2},
      ],
    })
  })
})

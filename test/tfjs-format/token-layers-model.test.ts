/**
 * Token models in the TensorFlow.js layers format: tf.loadLayersModel loads them and, on padded ids, predicts
 * what the ONNX Runtime inference model predicts (padding masked out of the mean and the max, all-padding rows
 * included), and mlctl reads back the spec and weights it wrote.
 */
import * as tf from '@tensorflow/tfjs'
import {afterEach, describe, expect, it} from 'vitest'
import {Trainer} from '../../src/core/engine/index.js'
import {presetSpec} from '../../src/core/model/presets.js'
import type {ModelSpec} from '../../src/core/model/spec.js'
import {fromLayersModel, toLayersModel} from '../../src/core/tfjs-format/layers-model.js'
import {relativeError} from '../tfjs-engine/helpers/compare.js'
import {tokenSplit} from '../helpers/token-dataset.js'

const LENGTH = 12
const VOCAB = 50
const trainers: Trainer[] = []
afterEach(async () => {
  await Promise.all(trainers.splice(0).map((t) => t.release()))
})

const specs: Array<[string, ModelSpec]> = [
  ['bag', presetSpec('bag', {inputShape: [LENGTH], outputs: 3, inputType: 'int32', vocabSize: VOCAB})],
  ['textcnn', presetSpec('textcnn', {inputShape: [LENGTH], outputs: 3, inputType: 'int32', vocabSize: VOCAB})],
  [
    'conv1d then masked mean, padding id 5',
    {
      inputShape: [LENGTH],
      inputType: 'int32',
      padId: 5,
      layers: [
        {type: 'embedding', vocab: VOCAB, dim: 6},
        {type: 'conv1d', filters: 4, kernel: 3},
        {type: 'relu'},
        {type: 'globalAveragePool1d'},
        {type: 'dense', units: 3},
      ],
    },
  ],
]

describe('token models in the TensorFlow.js layers format', () => {
  it.each(specs)('%s: tf.loadLayersModel predicts what ONNX Runtime predicts', async (_name, spec) => {
    const trainer = await Trainer.create({
      spec,
      loss: {name: 'softmaxCrossEntropy'},
      optimizer: {name: 'adam', lr: 0.05},
      seed: 4,
      threads: 1,
    })
    trainers.push(trainer)
    const padId = spec.padId ?? 0
    const data = tokenSplit(24, LENGTH, VOCAB, 9)
    const ids = Int32Array.from(data.inputs, (id) => (id === 0 ? padId : id === padId ? 1 : id))
    ids.fill(padId, 0, LENGTH) // an all-padding row
    const labels = Uint8Array.from(data.targets, (t, i) => (t + i) % 3)
    for (let step = 0; step < 3; step++) await trainer.step(ids, labels, 24)
    const weights = trainer.getWeights()
    const {modelJson, weightData} = toLayersModel(spec, weights, 'mlctl test')
    const loaded = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology,
        weightSpecs: modelJson.weightsManifest[0].weights,
        weightData: weightData.slice().buffer,
      }),
    )
    const predicted = loaded.predict(tf.tensor2d(ids, [24, LENGTH], 'int32')) as tf.Tensor
    const fromTfjs = (await predicted.data()) as Float32Array
    const fromOrt = await trainer.predict(ids, 24, 24)
    expect(relativeError(fromTfjs, fromOrt)).toBeLessThan(1e-5)
    expect(Array.from(fromOrt.subarray(0, 3)).every(Number.isFinite)).toBe(true)
    loaded.dispose()
    predicted.dispose()

    const back = fromLayersModel(modelJson, weightData, 'model.json')
    expect(back.spec).toEqual(spec)
    back.weights.forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(weights[i].data)))
  })
})

/**
 * Table models with category embeddings in the TensorFlow.js layers format: a Keras functional model that
 * tf.loadLayersModel loads and that predicts, on raw rows, what the ONNX Runtime inference model predicts
 * (standardization, the index columns taken out, looked up and appended, denormalization), and that mlctl
 * reads back exactly.
 */
import * as tf from '@tensorflow/tfjs'
import {afterEach, describe, expect, it} from 'vitest'
import {Trainer} from '../../src/core/engine/index.js'
import {presetSpec} from '../../src/core/model/presets.js'
import type {ModelSpec} from '../../src/core/model/spec.js'
import {fromLayersModel, toLayersModel} from '../../src/core/tfjs-format/layers-model.js'
import {relativeError} from '../tfjs-engine/helpers/compare.js'

const trainers: Trainer[] = []
afterEach(async () => {
  await Promise.all(trainers.splice(0).map((t) => t.release()))
})

const ROWS = 16

/** [index of 7, number, number, index of 30]: every index in range, as encodeTableRows makes them. */
function rows(): Float32Array {
  const x = new Float32Array(ROWS * 4)
  for (let n = 0; n < ROWS; n++) x.set([n % 7, 10 + Math.sin(n) * 5, n / 4, (n * 7) % 30], n * 4)
  return x
}

const preset = presetSpec('mlp', {
  inputShape: [4],
  outputs: 1,
  categoryColumns: [
    {column: 0, categories: 7},
    {column: 3, categories: 30},
  ],
})

const specs: Array<[string, ModelSpec]> = [
  [
    'the mlp preset, standardized and denormalized',
    {...preset, normalize: {mean: [0, 10, 2, 0], std: [1, 3, 1.5, 1]}, denormalize: {mean: 50, std: 8}},
  ],
  [
    'a lone index column, unscaled',
    {
      inputShape: [1],
      layers: [
        {type: 'categoryEmbedding', column: 0, categories: 7, dim: 3},
        {type: 'dense', units: 1},
      ],
    },
  ],
]

describe('table models with category embeddings in the TensorFlow.js layers format', () => {
  it.each(specs)('%s: tf.loadLayersModel predicts what ONNX Runtime predicts', async (_name, spec) => {
    const trainer = await Trainer.create({spec, loss: {name: 'mse'}, optimizer: {name: 'adam', lr: 0.05}, seed: 3})
    trainers.push(trainer)
    const features = spec.inputShape[0]
    const x = features === 4 ? rows() : Float32Array.from({length: ROWS}, (_, n) => n % 7)
    const y = Float32Array.from({length: ROWS}, (_, n) => 40 + (n % 7) * 3)
    // a few steps, so that every table row differs from its neighbors and from its initial value
    for (let step = 0; step < 3; step++) await trainer.step(x, y, ROWS)
    const weights = trainer.getWeights()
    const {modelJson, weightData} = toLayersModel(spec, weights, 'mlctl test')
    expect(modelJson.modelTopology.class_name).toBe('Model')
    const loaded = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology,
        weightSpecs: modelJson.weightsManifest[0].weights,
        weightData: weightData.slice().buffer,
      }),
    )
    const predicted = loaded.predict(tf.tensor2d(x, [ROWS, features])) as tf.Tensor
    const fromTfjs = (await predicted.data()) as Float32Array
    const fromOrt = await trainer.predict(x, ROWS, ROWS)
    expect(relativeError(fromTfjs, fromOrt)).toBeLessThan(1e-5)
    expect(new Set(fromOrt).size).toBeGreaterThan(1)
    loaded.dispose()
    predicted.dispose()

    const back = fromLayersModel(modelJson, weightData, 'model.json')
    expect(back.spec).toEqual(spec)
    back.weights.forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(weights[i].data)))
  })
})

import * as tf from '@tensorflow/tfjs'
import {describe, expect, it} from 'vitest'
import {initialWeights} from '../../src/core/model/initializers.js'
import {resolveModel} from '../../src/core/model/resolve-model.js'
import type {ModelSpec} from '../../src/core/model/spec.js'
import {fromLayersModel, toLayersModel} from '../../src/core/tfjs-format/layers-model.js'

const spec: ModelSpec = {
  inputShape: [2, 6, 5],
  inputType: 'uint8',
  layers: [
    {type: 'conv2d', filters: 3, kernel: 3, padding: 1},
    {type: 'batchNorm'},
    {type: 'leakyRelu'},
    {type: 'maxPool2d', size: 2},
    {type: 'flatten'},
    {type: 'dropout', rate: 0.5},
    {type: 'dense', units: 4},
    {type: 'softmax'},
  ],
}

async function loadInTfjs(modelJson: ReturnType<typeof toLayersModel>['modelJson'], weightData: Uint8Array) {
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest[0].weights,
      weightData: weightData.slice().buffer,
    }),
  )
}

describe('TensorFlow.js layers format', () => {
  it('reads back the spec and bit-identical weights it wrote', () => {
    const weights = initialWeights(resolveModel(spec), 5)
    const {modelJson, weightData} = toLayersModel(spec, weights, 'mlctl test', {classNames: ['a', 'b', 'c', 'd']})
    const back = fromLayersModel(modelJson, weightData, 'model.json')
    expect(back.spec).toEqual(spec)
    expect(back.metadata).toEqual({classNames: ['a', 'b', 'c', 'd']})
    expect(back.weights.map((w) => w.name)).toEqual(weights.map((w) => w.name))
    back.weights.forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(weights[i].data)))
  })

  it('loads in tf.loadLayersModel with NHWC input and HWIO kernels', async () => {
    const weights = initialWeights(resolveModel(spec), 5)
    const {modelJson, weightData} = toLayersModel(spec, weights, 'mlctl test')
    const model = await loadInTfjs(modelJson, weightData)
    expect(model.inputs[0].shape).toEqual([null, 6, 5, 2])
    expect(model.outputs[0].shape).toEqual([null, 4])
    expect(model.getWeights()[0].shape).toEqual([3, 3, 2, 3])
    const out = model.predict(tf.ones([1, 6, 5, 2]).mul(255)) as tf.Tensor
    const probs = Array.from(await out.data())
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5)
  })

  it("writes a table's per-feature standardization and denormalize as fixed Dense layers that TF.js runs", async () => {
    const table: ModelSpec = {
      inputShape: [3],
      normalize: {mean: [1, -2, 30], std: [0.5, 2, 10]},
      denormalize: {mean: 150, std: 30},
      layers: [{type: 'dense', units: 4}, {type: 'relu'}, {type: 'dense', units: 1}],
    }
    const weights = initialWeights(resolveModel(table), 5)
    const {modelJson, weightData} = toLayersModel(table, weights, 'mlctl test')
    const back = fromLayersModel(modelJson, weightData, 'model.json')
    expect(back.spec).toEqual(table)
    back.weights.forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(weights[i].data)))

    const row = [2, 0, 45]
    const [kernel1, bias1, kernel2, bias2] = weights.map((w) => Array.from(w.data))
    const scaled = row.map((v, f) => (v - table.normalize!.mean[f]) / table.normalize!.std[f])
    const hidden = [0, 1, 2, 3].map((u) =>
      Math.max(0, bias1[u] + scaled.reduce((s, x, f) => s + x * kernel1[f * 4 + u], 0)),
    )
    const expected = (bias2[0] + hidden.reduce((s, h, u) => s + h * kernel2[u], 0)) * 30 + 150
    const model = await loadInTfjs(modelJson, weightData)
    const out = model.predict(tf.tensor([row])) as tf.Tensor
    expect((await out.data())[0]).toBeCloseTo(expected, 3)
  })
})

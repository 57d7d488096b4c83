/**
 * The browser story: the model/ folder of a run trained with the TF.js engine, fetched over HTTP by
 * tf.loadLayersModel in pure-JavaScript TensorFlow.js (what a web page does), predicts what the ONNX
 * Runtime inference model and the engine itself predict.
 */
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import * as tf from '@tensorflow/tfjs'
import {afterAll, describe, expect, it} from 'vitest'
import {loadDataset} from '../../src/core/data/index.js'
import {buildInferenceModel, LOGITS_OUTPUT} from '../../src/core/engine/index.js'
import {OrtSession, tensor} from '../../src/core/engine/ort-session.js'
import type {ModelSpec} from '../../src/core/model/spec.js'
import {TfjsTrainer} from '../../src/core/tfjs-engine/tfjs-trainer.js'
import {readLayersModelDir, writeLayersModelDir} from '../../src/core/tfjs-format/layers-model-dir.js'
import {startFileServer} from '../data/file-server.js'
import {relativeError, TOLERANCE} from './helpers/compare.js'

const dir = mkdtempSync(join(tmpdir(), 'mlctl-tfjs-browser-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

const spec: ModelSpec = {
  inputShape: [1, 28, 28],
  inputType: 'uint8',
  normalize: {mean: [0.13], std: [0.31]},
  layers: [
    {type: 'conv2d', filters: 4, kernel: 5, stride: 2, padding: 'same'},
    {type: 'batchNorm'},
    {type: 'relu'},
    {type: 'maxPool2d', size: 2},
    {type: 'dropout', rate: 0.2},
    {type: 'flatten'},
    {type: 'dense', units: 16},
    {type: 'leakyRelu'},
    {type: 'dense', units: 10},
  ],
}

describe('a TF.js-trained model/ folder in the browser', () => {
  it('loads with tf.loadLayersModel over HTTP and predicts what ONNX Runtime and the engine predict', async () => {
    const data = await loadDataset('mnist-sample')
    const batch = 32
    const trainer = await TfjsTrainer.create({
      spec,
      loss: {name: 'softmaxCrossEntropy'},
      optimizer: {name: 'adam', lr: 0.01},
      seed: 11,
    })
    for (let step = 0; step < 4; step++) {
      await trainer.step(
        data.train.inputs.subarray(step * batch * 784, (step + 1) * batch * 784),
        data.train.targets.subarray(step * batch, (step + 1) * batch),
        batch,
      )
    }
    const modelDir = join(dir, 'model')
    writeLayersModelDir(modelDir, spec, trainer.getWeights(), 'mlctl test')

    const n = 20
    const x = data.test!.inputs.subarray(0, n * 784) as Uint8Array
    const server = await startFileServer({
      'model.json': readFileSync(join(modelDir, 'model.json')),
      'weights.bin': readFileSync(join(modelDir, 'weights.bin')),
    })
    let browser: Float32Array
    try {
      const model = await tf.loadLayersModel(`${server.url}/ok/model.json`)
      // a web page hands the raw pixels, NHWC; the model's Rescaling layer scales them
      const output = model.predict(tf.tensor4d(Float32Array.from(x), [n, 28, 28, 1])) as tf.Tensor
      browser = (await output.data()) as Float32Array
      model.dispose()
      output.dispose()
    } finally {
      await server.close()
    }

    const {weights} = readLayersModelDir(modelDir)
    const session = await OrtSession.create(buildInferenceModel(spec, weights), 1)
    const ort = (await session.run({input: tensor(x, [n, 1, 28, 28])}))[LOGITS_OUTPUT]
    await session.release()
    const engine = await trainer.predict(x, n, 8)

    expect(relativeError(browser, ort)).toBeLessThan(TOLERANCE)
    expect(relativeError(engine, ort)).toBeLessThan(TOLERANCE)
    // trained, not initial weights: the predictions are not all one class
    const classes = new Set(
      Array.from({length: n}, (_, i) =>
        ort.subarray(i * 10, (i + 1) * 10).indexOf(Math.max(...ort.subarray(i * 10, (i + 1) * 10))),
      ),
    )
    expect(classes.size).toBeGreaterThan(2)
  })
})

/**
 * The strongest guard on both engines: from identical initial weights and the same batch, the TensorFlow.js
 * engine (autodiff over TF.js ops, NHWC) and the ONNX Runtime engine (hand-written backward rules, NCHW)
 * must give the same loss, metric and gradient of every trainable tensor, for every layer type and loss.
 */
import {describe, expect, it} from 'vitest'
import type {LossConfig} from '../../src/core/training/index.js'
import {sizeOf} from '../../src/core/model/parameters.js'
import type {LayerSpec, ModelSpec} from '../../src/core/model/spec.js'
import {TfjsTrainer} from '../../src/core/tfjs-engine/tfjs-trainer.js'
import {ortGradients} from './helpers/ort-reference.js'
import {batchFor, relativeError, TOLERANCE} from './helpers/compare.js'

interface Case {
  layers: LayerSpec[]
  inputShape: number[]
  loss?: LossConfig
  inputType?: 'uint8' | 'float32'
  normalize?: ModelSpec['normalize']
  denormalize?: ModelSpec['denormalize']
  outputs?: number
}

const SEED = 7
const BATCH = 4

async function compare({
  layers,
  inputShape,
  loss = {name: 'softmaxCrossEntropy'},
  inputType = 'float32',
  normalize,
  denormalize,
}: Case): Promise<void> {
  const spec: ModelSpec = {
    inputShape,
    inputType,
    ...(normalize && {normalize}),
    ...(denormalize && {denormalize}),
    layers,
  }
  const tfjs = await TfjsTrainer.create({spec, loss, optimizer: {name: 'sgd', lr: 0.1}, seed: SEED})
  const {x, y} = batchFor(tfjs.model, loss, BATCH, 3)
  const step = 0
  const mine = await tfjs.gradients(x, y, BATCH)
  const reference = await ortGradients(spec, loss, tfjs.getWeights(), x, y, BATCH, SEED, step)
  expect(relativeError([mine.loss], [reference.loss]), 'loss').toBeLessThan(TOLERANCE)
  expect(mine.metric).toBeCloseTo(tfjs.metric.finish(reference.metricSum / (BATCH * tfjs.metric.termsPerExample)), 5)
  expect(mine.gradients.map((g) => g.name)).toEqual(reference.gradients.map((g) => g.name))
  mine.gradients.forEach((g, i) => {
    expect(g.data.length).toBe(sizeOf(reference.gradients[i].shape))
    const error = relativeError(g.data, reference.gradients[i].data)
    expect(error, `${g.name}: relative error ${error.toExponential(2)}`).toBeLessThan(TOLERANCE)
  })
}

const head: LayerSpec[] = [{type: 'flatten'}, {type: 'dense', units: 3}]

describe('TF.js and ONNX Runtime engines agree on loss and gradients', () => {
  it.each<[string, Case]>([
    ['conv2d 3x3 valid', {inputShape: [2, 6, 6], layers: [{type: 'conv2d', filters: 3, kernel: 3}, ...head]}],
    [
      'conv2d same, stride 2, even kernel (asymmetric pads)',
      {inputShape: [1, 7, 7], layers: [{type: 'conv2d', filters: 2, kernel: 4, stride: 2, padding: 'same'}, ...head]},
    ],
    [
      'conv2d numeric padding, stride 2, non-square, below another conv',
      {
        inputShape: [2, 6, 5],
        layers: [
          {type: 'conv2d', filters: 3, kernel: 3, stride: 2, padding: 1},
          {type: 'conv2d', filters: 2, kernel: 1},
          ...head,
        ],
      },
    ],
    [
      'maxPool2d tiling and leftover rows',
      {
        inputShape: [2, 7, 7],
        layers: [{type: 'conv2d', filters: 2, kernel: 2}, {type: 'maxPool2d', size: 2}, {type: 'tanh'}, ...head],
      },
    ],
    [
      'maxPool2d 3x3 stride 2, overlapping',
      {
        inputShape: [1, 9, 9],
        layers: [{type: 'conv2d', filters: 2, kernel: 3}, {type: 'maxPool2d', size: 3, stride: 2}, ...head],
      },
    ],
    [
      'avgPool2d overlapping and with gaps',
      {
        inputShape: [2, 8, 8],
        layers: [
          {type: 'conv2d', filters: 2, kernel: 1},
          {type: 'avgPool2d', size: 3, stride: 2},
          {type: 'avgPool2d', size: 1, stride: 2},
          ...head,
        ],
      },
    ],
    [
      'dense, relu, leakyRelu, tanh, sigmoid',
      {
        inputShape: [5],
        layers: [
          {type: 'dense', units: 6},
          {type: 'relu'},
          {type: 'dense', units: 6},
          {type: 'leakyRelu', alpha: 0.2},
          {type: 'dense', units: 5},
          {type: 'tanh'},
          {type: 'dense', units: 4},
          {type: 'sigmoid'},
          {type: 'dense', units: 3},
        ],
      },
    ],
    [
      'dropout on an image, after flatten and after dense',
      {
        inputShape: [2, 4, 4],
        layers: [
          {type: 'conv2d', filters: 3, kernel: 3},
          {type: 'dropout', rate: 0.3},
          {type: 'flatten'},
          {type: 'dropout', rate: 0.5},
          {type: 'dense', units: 5},
          {type: 'dropout', rate: 0.2},
          {type: 'dense', units: 3},
        ],
      },
    ],
    // Each batchNorm follows a non-linearity: the gradient of a bias straight before a batch norm is 0 up to
    // float32 noise, which no relative tolerance can compare.
    [
      'batchNorm on images and on flattened features',
      {
        inputShape: [2, 5, 5],
        layers: [
          {type: 'conv2d', filters: 3, kernel: 3},
          {type: 'relu'},
          {type: 'batchNorm'},
          {type: 'tanh'},
          {type: 'flatten'},
          {type: 'batchNorm', epsilon: 0.01},
          {type: 'dense', units: 3},
        ],
      },
    ],
    [
      'uint8 input with per-channel normalization',
      {
        inputShape: [3, 5, 5],
        inputType: 'uint8',
        normalize: {mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3]},
        layers: [{type: 'conv2d', filters: 2, kernel: 3}, ...head],
      },
    ],
    [
      'final softmax fused into cross-entropy with label smoothing',
      {
        inputShape: [4],
        loss: {name: 'softmaxCrossEntropy', labelSmoothing: 0.1},
        layers: [{type: 'dense', units: 3}, {type: 'softmax'}],
      },
    ],
  ])('%s', async (_name, c) => {
    await compare(c)
  })

  it.each<[string, LossConfig, LayerSpec[]]>([
    [
      'binary cross-entropy',
      {name: 'binaryCrossEntropy'},
      [{type: 'dense', units: 6}, {type: 'tanh'}, {type: 'dense', units: 2}],
    ],
    ['mse on a final softmax (kept in the graph)', {name: 'mse'}, [{type: 'dense', units: 3}, {type: 'softmax'}]],
    ['mae', {name: 'mae'}, [{type: 'dense', units: 6}, {type: 'relu'}, {type: 'dense', units: 2}]],
    [
      'huber, delta 0.5',
      {name: 'huber', delta: 0.5},
      [{type: 'dense', units: 6}, {type: 'sigmoid'}, {type: 'dense', units: 2}],
    ],
  ])('loss: %s', async (_name, loss, layers) => {
    await compare({inputShape: [5], loss, layers})
  })

  it.each<[string, LossConfig]>([
    ['mse', {name: 'mse'}],
    ['mae', {name: 'mae'}],
    ['huber', {name: 'huber', delta: 1}],
  ])('a standardized table: per-feature normalize and a denormalized output, %s', async (_name, loss) => {
    await compare({
      inputShape: [3],
      loss,
      normalize: {mean: [1, -2, 30], std: [0.5, 2, 10]},
      denormalize: {mean: 150, std: 30},
      layers: [{type: 'dense', units: 4}, {type: 'relu'}, {type: 'dense', units: 1}],
    })
  })
})

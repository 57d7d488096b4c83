/**
 * The assembled graphs: the training graph's loss, metric, batch statistics and every parameter gradient
 * against a float64 reference of the whole model (input scaling, fused final softmax, dropout noise,
 * batch norm, chained backward rules); the evaluation graph and the exported inference model against the
 * same reference in inference mode.
 */
import {describe, expect, it} from 'vitest'
import {buildEvaluationGraph} from '../../src/core/engine/evaluation-graph.js'
import {buildInferenceModel} from '../../src/core/engine/inference-model.js'
import {buildTrainingGraph} from '../../src/core/engine/training-graph.js'
import {UserError} from '../../src/core/errors.js'
import {sizeOf, type NamedTensor} from '../../src/core/model/parameters.js'
import {resolveModel, type ResolvedModel} from '../../src/core/model/resolve-model.js'
import type {ModelSpec} from '../../src/core/model/spec.js'
import {decodeModel} from '../../src/core/onnx/onnx-proto.js'
import {metricRule, type LossConfig, type MetricName} from '../../src/core/training/index.js'
import {expectGradientClose, numericGradient, randomValues, runOnce} from './helpers/gradient-check.js'
import {referenceLoss} from './helpers/reference-losses.js'
import {referenceForward} from './helpers/reference-model.js'

const BATCH = 3

const imageClassifier: ModelSpec = {
  inputShape: [2, 6, 6],
  inputType: 'uint8',
  normalize: {mean: [0.5, 0.4], std: [0.3, 0.2]},
  layers: [
    {type: 'conv2d', filters: 3, kernel: 3, stride: 2, padding: 'same'},
    {type: 'batchNorm'},
    {type: 'leakyRelu'},
    {type: 'maxPool2d', size: 2, stride: 1},
    {type: 'dropout', rate: 0.3},
    {type: 'flatten'},
    {type: 'dense', units: 4},
    {type: 'softmax'},
  ],
}

const regressor: ModelSpec = {
  inputShape: [5],
  layers: [{type: 'dense', units: 4}, {type: 'tanh'}, {type: 'batchNorm'}, {type: 'dense', units: 2}],
}

interface Setup {
  model: ResolvedModel
  weights: NamedTensor[]
  input: Uint8Array | Float32Array
  target: Uint8Array | Float32Array
}

/** Random weights (not the initial ones: biases and batch-norm parameters must not be trivial). */
function setup(spec: ModelSpec, classes: boolean): Setup {
  const model = resolveModel(spec)
  const weights = model.parameters.map((p, i) => {
    const [low, high] = p.role === 'gamma' || p.role === 'movingVariance' ? [0.5, 1.5] : [-0.8, 0.8]
    return {name: p.name, shape: p.shape, data: randomValues(sizeOf(p.shape), 100 + i, low, high)}
  })
  const inputLength = BATCH * sizeOf(model.inputShape)
  const input =
    model.inputType === 'uint8' ? randomValues(inputLength, 1, 0, 256).map(Math.floor) : randomValues(inputLength, 1)
  return {
    model,
    weights,
    input: model.inputType === 'uint8' ? Uint8Array.from(input) : input,
    target: classes
      ? Uint8Array.from({length: BATCH}, (_, n) => (n + 1) % model.outputs)
      : randomValues(BATCH * model.outputs, 2),
  }
}

const feedsOf = (s: Setup) => ({
  input: {data: s.input, dims: [BATCH, ...s.model.inputShape]},
  target: {data: s.target, dims: s.target instanceof Uint8Array ? [BATCH] : [BATCH, s.model.outputs]},
})

describe('training graph', () => {
  it.each<[string, ModelSpec, LossConfig, MetricName]>([
    [
      'uint8 images, conv/batchNorm/pool/dropout, fused softmax + smoothed cross-entropy',
      imageClassifier,
      {name: 'softmaxCrossEntropy', labelSmoothing: 0.1},
      'accuracy',
    ],
    ['float features, batchNorm on 2-D, Huber', regressor, {name: 'huber', delta: 0.5}, 'rmse'],
    [
      'softmax layer kept under MSE',
      {...imageClassifier, inputType: 'float32', normalize: undefined},
      {name: 'mse'},
      'mae',
    ],
  ])('%s: gradients of every parameter match finite differences', async (_name, spec, loss, metric) => {
    const classes = loss.name === 'softmaxCrossEntropy'
    const s = setup(spec, classes)
    if (!classes && s.model.endsWithSoftmax) s.target = randomValues(BATCH * s.model.outputs, 3, 0, 1)
    const graph = buildTrainingGraph(s.model, loss, metricRule(metric, loss, s.model.outputs))
    const decoded = decodeModel(graph.bytes)
    expect(decoded.graph.input.map((i) => i.name).sort()).toEqual(
      ['input', 'target', ...graph.trainable.map((p) => p.name), ...graph.noiseInputs.map((n) => n.name)].sort(),
    )
    expect(graph.trainable.every((p) => p.trainable)).toBe(true)

    const feeds: Record<string, {data: Float32Array | Uint8Array; dims: number[]}> = feedsOf(s)
    for (const w of s.weights)
      if (graph.trainable.some((p) => p.name === w.name)) feeds[w.name] = {data: w.data, dims: w.shape}
    const noise = new Map<string, Float64Array>()
    for (const [i, n] of graph.noiseInputs.entries()) {
      const data = randomValues(BATCH * sizeOf(n.shape), 50 + i, 0, 1)
      feeds[n.name] = {data, dims: [BATCH, ...n.shape]}
      noise.set(n.name.split('/')[0], Float64Array.from(data))
    }
    const out = await runOnce(graph.bytes, feeds)

    const weights = new Map(s.weights.map((w) => [w.name, Float64Array.from(w.data)]))
    const includeFinalSoftmax = !classes
    const forward = () => referenceForward(s.model, s.input, BATCH, weights, 'training', {includeFinalSoftmax, noise})
    const lossValue = () => referenceLoss(loss, forward(), s.target, BATCH)
    expect(out.loss[0]).toBeCloseTo(lossValue(), 5)
    graph.trainable.forEach((p, i) => {
      expectGradientClose(out[graph.gradientOutputs[i]], numericGradient(weights.get(p.name)!, lossValue), p.name)
    })
    expect(graph.batchStatistics.map((b) => b.layer.name)).toEqual(['batchNorm_1'])
    expect(out[graph.batchStatistics[0].variance].every((v) => v > 0)).toBe(true)
  })
})

describe('evaluation graph and inference model', () => {
  it('compute the inference-mode forward (moving statistics, no dropout) of the reference', async () => {
    const loss: LossConfig = {name: 'softmaxCrossEntropy'}
    const s = setup(imageClassifier, true)
    const weights = new Map(s.weights.map((w) => [w.name, Float64Array.from(w.data)]))
    const logits = referenceForward(s.model, s.input, BATCH, weights, 'inference', {includeFinalSoftmax: false})

    const evaluation = buildEvaluationGraph(s.model, loss, metricRule('accuracy', loss, s.model.outputs))
    const feeds: Record<string, {data: Float32Array | Uint8Array; dims: number[]}> = feedsOf(s)
    for (const w of s.weights) feeds[w.name] = {data: w.data, dims: w.shape}
    const evaluated = await runOnce(evaluation, feeds)
    expect(evaluated.loss[0]).toBeCloseTo(referenceLoss(loss, logits, s.target, BATCH), 5)

    const bytes = buildInferenceModel(imageClassifier, s.weights, {metadata: {classes: 'a,b,c,d'}})
    const decoded = decodeModel(bytes)
    expect(decoded.graph.input.map((i) => i.name)).toEqual(['input'])
    expect(decoded.graph.input[0].type.tensorType).toEqual({
      elemType: 2,
      shape: {dim: [{dimParam: 'batch'}, {dimValue: 2}, {dimValue: 6}, {dimValue: 6}]},
    })
    expect(decoded.graph.output.map((o) => o.name)).toEqual(['logits', 'probabilities'])
    expect(decoded.graph.initializer.map((t) => t.name)).toEqual(expect.arrayContaining(s.weights.map((w) => w.name)))
    expect(decoded.graph.node.some((n) => n.opType === 'GreaterOrEqual')).toBe(false)

    const out = await runOnce(bytes, {input: feedsOf(s).input})
    expectGradientClose(out.logits, logits, 'logits')
    const probabilities = referenceForward(s.model, s.input, BATCH, weights, 'inference', {includeFinalSoftmax: true})
    expectGradientClose(out.probabilities, probabilities, 'probabilities')
  })

  it('takes another input type or leaves probabilities out on request', async () => {
    const s = setup(regressor, false)
    const sigmoid = await runOnce(buildInferenceModel(regressor, s.weights, {probabilities: 'sigmoid'}), {
      input: feedsOf(s).input,
    })
    expect(Array.from(sigmoid.probabilities)).toEqual(
      Array.from(sigmoid.logits).map((z) => expect.closeTo(1 / (1 + Math.exp(-z)), 6)),
    )
    const floatImages = setup(imageClassifier, true)
    const bytes = buildInferenceModel(imageClassifier, floatImages.weights, {
      inputType: 'float32',
      probabilities: 'none',
    })
    const decoded = decodeModel(bytes).graph
    expect(decoded.input[0].type.tensorType.elemType).toBe(1)
    expect(decoded.output.map((o) => o.name)).toEqual(['logits'])
  })

  it('rejects weights that do not belong to the spec', () => {
    const s = setup(regressor, false)
    expect(() => buildInferenceModel(regressor, s.weights.slice(1))).toThrow(UserError)
    const reshaped = s.weights.map((w, i) => (i === 0 ? {...w, shape: [4, 5]} : w))
    expect(() => buildInferenceModel(regressor, reshaped)).toThrow(
      'weight dense_1/kernel has shape [4,5] but the model needs [5,4]',
    )
  })
})

/**
 * Gradient check of every layer's backward rule: each rule is emitted alone in a graph with inputs x,
 * parameters and an upstream gradient dy; its dx and parameter gradients must equal the central
 * differences of L = sum(dy * f(x)) over the float64 reference forward (tolerance in gradient-check.ts).
 */
import {describe, expect, it} from 'vitest'
import {
  conv2dWeightGradient,
  weightGradientFormulation,
  type WeightGradientFormulation,
} from '../../src/core/engine/layers/conv2d.js'
import {presetSpec} from '../../src/core/model/presets.js'
import {emitLayer} from '../../src/core/engine/layers/index.js'
import type {LayerParameters} from '../../src/core/engine/layer-emitter.js'
import {sizeOf, type ParameterRole} from '../../src/core/model/parameters.js'
import {resolveLayers, resolveModel, type ResolvedLayer} from '../../src/core/model/resolve-model.js'
import type {Conv2dSpec, LayerSpec} from '../../src/core/model/spec.js'
import {GraphBuilder} from '../../src/core/onnx/graph-builder.js'
import {expectGradientClose, numericGradient, randomValues, runOnce} from './helpers/gradient-check.js'
import {referenceLayer, type Params64} from './helpers/reference-layers.js'

interface Case {
  spec: LayerSpec
  inputShape: number[]
  batch?: number
}

/** Builds the layer's forward + backward graph, runs it, and checks y, dx and every parameter gradient. */
async function checkLayer({spec, inputShape, batch = 2}: Case, seed = 1): Promise<Record<string, Float32Array>> {
  const [layer] = resolveLayers(inputShape, [spec])
  const g = new GraphBuilder('layer-check')
  const feeds: Record<string, {data: Float32Array; dims: number[]}> = {}
  const x = randomValues(batch * sizeOf(inputShape), seed)
  feeds.x = {data: x, dims: [batch, ...inputShape]}
  const params: LayerParameters = {}
  const values: Partial<Record<ParameterRole, Float32Array>> = {}
  for (const [i, p] of layer.parameters.filter((p) => p.trainable).entries()) {
    params[p.role] = g.input(p.name, 'float32', p.shape)
    values[p.role] = randomValues(
      sizeOf(p.shape),
      seed + 10 + i,
      p.role === 'gamma' ? 0.5 : -1,
      p.role === 'gamma' ? 1.5 : 1,
    )
    feeds[p.name] = {data: values[p.role]!, dims: p.shape}
  }
  const emission = emitLayer(g, g.input('x', 'float32', [batch, ...inputShape]), layer, params, 'training')
  const outShape = [batch, ...layer.outputShape]
  const dy = randomValues(sizeOf(outShape), seed + 2)
  feeds.dy = {data: dy, dims: outShape}
  const noise = emission.noiseInput ? randomValues(x.length, seed + 3, 0, 1) : undefined
  if (emission.noiseInput) feeds[emission.noiseInput] = {data: noise!, dims: [batch, ...inputShape]}
  const gradients = emission.backward!(g.input('dy', 'float32', outShape), true)
  g.output(emission.output, 'y', 'float32', outShape)
  g.output(gradients.dx!, 'dx', 'float32', [batch, ...inputShape])
  for (const p of layer.parameters) {
    const tensor = gradients.params[p.role]
    if (tensor) g.output(tensor, `grad_${p.role}`, 'float32', p.shape)
  }
  if (emission.batchStatistics) {
    g.output(emission.batchStatistics.mean, 'batchMean', 'float32', [inputShape[0]])
    g.output(emission.batchStatistics.variance, 'batchVariance', 'float32', [inputShape[0]])
  }
  const out = await runOnce(g.toBytes(), feeds)

  const x64 = Float64Array.from(x)
  const p64: Params64 = Object.fromEntries(Object.entries(values).map(([role, v]) => [role, Float64Array.from(v)]))
  const noise64 = noise ? Float64Array.from(noise) : undefined
  const forward = () => referenceLayer(layer, x64, batch, p64, 'training', noise64)
  const loss = () => forward().reduce((sum, v, i) => sum + v * dy[i], 0)
  expectGradientClose(out.y, forward(), `${spec.type} forward`)
  expectGradientClose(out.dx, numericGradient(x64, loss), `${spec.type} dx`)
  for (const role of Object.keys(values) as ParameterRole[]) {
    expectGradientClose(out[`grad_${role}`], numericGradient(p64[role]!, loss), `${spec.type} d${role}`)
  }
  expect(Object.keys(gradients.params).sort()).toEqual(Object.keys(values).sort())
  return out
}

describe('conv2d backward', () => {
  const cases: Array<[string, Case]> = [
    ['3x3 valid', {spec: {type: 'conv2d', filters: 3, kernel: 3}, inputShape: [2, 5, 5]}],
    ['1x1', {spec: {type: 'conv2d', filters: 2, kernel: 1}, inputShape: [3, 4, 4]}],
    [
      'stride 2, leftover column (output_padding)',
      {spec: {type: 'conv2d', filters: 2, kernel: 3, stride: 2}, inputShape: [2, 6, 6]},
    ],
    ['same padding', {spec: {type: 'conv2d', filters: 2, kernel: 3, padding: 'same'}, inputShape: [2, 5, 5]}],
    [
      'same padding, stride 2, even kernel (asymmetric pads)',
      {spec: {type: 'conv2d', filters: 2, kernel: 4, stride: 2, padding: 'same'}, inputShape: [1, 7, 7]},
    ],
    [
      'numeric padding, stride 2, non-square input',
      {spec: {type: 'conv2d', filters: 2, kernel: 3, stride: 2, padding: 1}, inputShape: [2, 6, 5]},
    ],
  ]
  it.each(cases)('%s', async (_name, c) => {
    await checkLayer(c)
  })

  it.each(cases)(
    'both weight-gradient formulations agree with finite differences: %s',
    async (_name, {spec, inputShape}) => {
      const batch = 2
      const [layer] = resolveLayers(inputShape, [spec]) as [ResolvedLayer<Conv2dSpec>]
      const g = new GraphBuilder('conv-dw')
      const x = g.input('x', 'float32', [batch, ...inputShape])
      const dy = g.input('dy', 'float32', [batch, ...layer.outputShape])
      const formulations: WeightGradientFormulation[] = ['unfold', 'transposedConv']
      for (const f of formulations)
        g.output(conv2dWeightGradient(g, x, dy, layer, f), f, 'float32', layer.parameters[0].shape)
      const xs = randomValues(batch * sizeOf(inputShape), 5)
      const dys = randomValues(batch * sizeOf(layer.outputShape), 6)
      const out = await runOnce(g.toBytes(), {
        x: {data: xs, dims: [batch, ...inputShape]},
        dy: {data: dys, dims: [batch, ...layer.outputShape]},
      })
      const kernel = Float64Array.from(randomValues(sizeOf(layer.parameters[0].shape), 7))
      const params = {kernel, bias: new Float64Array(layer.outputShape[0])}
      const numeric = numericGradient(kernel, () =>
        referenceLayer(layer, Float64Array.from(xs), batch, params, 'training').reduce((s, v, i) => s + v * dys[i], 0),
      )
      for (const f of formulations) expectGradientClose(out[f], numeric, f)
    },
  )
})

describe('conv2d weight-gradient formulation', () => {
  const formulations = (spec: ReturnType<typeof presetSpec>) =>
    resolveModel(spec)
      .layers.filter((l) => l.spec.type === 'conv2d')
      .map((l) => weightGradientFormulation(l as ResolvedLayer<Conv2dSpec>))
  it('is unfold for 3x3 kernels with tens of filters, the transposed Conv for 5x5 kernels with few', () => {
    expect(formulations(presetSpec('cnn', {inputShape: [1, 28, 28], outputs: 10}))).toEqual([
      'unfold',
      'unfold',
      'unfold',
      'unfold',
    ])
    expect(formulations(presetSpec('lenet', {inputShape: [1, 28, 28], outputs: 10}))).toEqual([
      'transposedConv',
      'transposedConv',
    ])
  })
  it('avoids the unfold buffer for large images', () => {
    expect(
      formulations({
        inputShape: [64, 224, 224],
        layers: [{type: 'conv2d', filters: 64, kernel: 3}, {type: 'flatten'}, {type: 'dense', units: 2}],
      }),
    ).toEqual(['transposedConv'])
  })
})

describe('maxPool2d backward', () => {
  it.each<[string, Case]>([
    ['2x2 tiling the input (Resize mask rule)', {spec: {type: 'maxPool2d', size: 2}, inputShape: [2, 4, 4]}],
    ['2x2 with a leftover row and column', {spec: {type: 'maxPool2d', size: 2}, inputShape: [2, 5, 5]}],
    ['3x3 stride 2, overlapping', {spec: {type: 'maxPool2d', size: 3, stride: 2}, inputShape: [2, 7, 7]}],
    ['3x3 stride 1, overlapping, non-square', {spec: {type: 'maxPool2d', size: 3, stride: 1}, inputShape: [1, 5, 6]}],
    ['2x2 stride 3, gaps between windows', {spec: {type: 'maxPool2d', size: 2, stride: 3}, inputShape: [1, 8, 8]}],
  ])('%s', async (_name, c) => {
    await checkLayer(c)
  })

  /**
   * At exact ties the max is not differentiable, so finite differences do not apply; the rule must route
   * each window's dy to its maxima split evenly (the subgradient whose total is dy, never counted twice).
   */
  it.each<[string, LayerSpec, number[]]>([
    ['tiling', {type: 'maxPool2d', size: 2}, [2, 4, 4]],
    ['overlapping', {type: 'maxPool2d', size: 3, stride: 2}, [2, 7, 7]],
    ['leftover rows', {type: 'maxPool2d', size: 2}, [2, 5, 5]],
  ])('splits dy evenly over tied maxima (%s)', async (_name, spec, inputShape) => {
    const batch = 2
    const [layer] = resolveLayers(inputShape, [spec])
    const {size, stride = size} = spec as {size: number; stride?: number}
    const g = new GraphBuilder('ties')
    const emission = emitLayer(g, g.input('x', 'float32', [batch, ...inputShape]), layer, {}, 'training')
    const outShape = [batch, ...layer.outputShape]
    g.output(emission.backward!(g.input('dy', 'float32', outShape), true).dx!, 'dx', 'float32', [batch, ...inputShape])
    g.output(emission.output, 'y', 'float32', outShape)
    // values in {0, 1, 2}: most windows hold tied maxima
    const x = randomValues(batch * sizeOf(inputShape), 3, 0, 3).map(Math.floor)
    const dy = randomValues(sizeOf(outShape), 4)
    const out = await runOnce(g.toBytes(), {x: {data: x, dims: [batch, ...inputShape]}, dy: {data: dy, dims: outShape}})

    const [, height, width] = inputShape
    const [, outHeight, outWidth] = layer.outputShape
    const expected = new Float64Array(x.length)
    let tiedWindows = 0
    let o = 0
    for (let nc = 0; nc < batch * inputShape[0]; nc++)
      for (let oy = 0; oy < outHeight; oy++)
        for (let ox = 0; ox < outWidth; ox++, o++) {
          const cells: number[] = []
          for (let ky = 0; ky < size; ky++)
            for (let kx = 0; kx < size; kx++) cells.push((nc * height + oy * stride + ky) * width + ox * stride + kx)
          const max = Math.max(...cells.map((i) => x[i]))
          const winners = cells.filter((i) => x[i] === max)
          if (winners.length > 1) tiedWindows++
          for (const i of winners) expected[i] += dy[o] / winners.length
        }
    expect(tiedWindows).toBeGreaterThan(3)
    expectGradientClose(out.dx, expected, 'dx with ties')
    const total = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0)
    expect(total(out.dx)).toBeCloseTo(total(dy), 4)
  })
})

describe('avgPool2d backward', () => {
  it.each<[string, Case]>([
    ['2x2 tiling', {spec: {type: 'avgPool2d', size: 2}, inputShape: [2, 4, 4]}],
    ['2x2 with a leftover row and column', {spec: {type: 'avgPool2d', size: 2}, inputShape: [2, 5, 5]}],
    ['3x3 stride 2, overlapping', {spec: {type: 'avgPool2d', size: 3, stride: 2}, inputShape: [2, 7, 7]}],
    ['2x2 stride 3, gaps', {spec: {type: 'avgPool2d', size: 2, stride: 3}, inputShape: [1, 8, 8]}],
  ])('%s', async (_name, c) => {
    await checkLayer(c)
  })
})

describe('other layers backward', () => {
  it.each<[string, Case]>([
    ['dense', {spec: {type: 'dense', units: 3}, inputShape: [5], batch: 3}],
    ['flatten of an image', {spec: {type: 'flatten'}, inputShape: [2, 3, 3]}],
    ['flatten of a flat input', {spec: {type: 'flatten'}, inputShape: [4]}],
    ['dropout 0.4', {spec: {type: 'dropout', rate: 0.4}, inputShape: [3, 2, 2], batch: 3}],
    ['dropout 0', {spec: {type: 'dropout', rate: 0}, inputShape: [4]}],
    ['relu', {spec: {type: 'relu'}, inputShape: [2, 3, 3]}],
    ['leakyRelu', {spec: {type: 'leakyRelu', alpha: 0.2}, inputShape: [2, 3, 3]}],
    ['tanh', {spec: {type: 'tanh'}, inputShape: [2, 3, 3]}],
    ['sigmoid', {spec: {type: 'sigmoid'}, inputShape: [2, 3, 3]}],
    ['softmax', {spec: {type: 'softmax'}, inputShape: [4], batch: 3}],
  ])('%s', async (_name, c) => {
    await checkLayer(c)
  })

  it.each<[string, Case]>([
    ['batchNorm on images', {spec: {type: 'batchNorm'}, inputShape: [3, 2, 2], batch: 4}],
    ['batchNorm on features', {spec: {type: 'batchNorm', epsilon: 0.01}, inputShape: [5], batch: 6}],
  ])('%s (with batch mean and biased variance outputs)', async (_name, c) => {
    const batch = c.batch!
    const out = await checkLayer(c)
    const x = randomValues(batch * sizeOf(c.inputShape), 1)
    const channels = c.inputShape[0]
    const spatial = sizeOf(c.inputShape.slice(1))
    for (let ch = 0; ch < channels; ch++) {
      const xs: number[] = []
      for (let n = 0; n < batch; n++) for (let s = 0; s < spatial; s++) xs.push(x[(n * channels + ch) * spatial + s])
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length
      expect(out.batchMean[ch]).toBeCloseTo(mean, 6)
      expect(out.batchVariance[ch]).toBeCloseTo(xs.reduce((a, v) => a + (v - mean) ** 2, 0) / xs.length, 6)
    }
  })
})

describe('lowest layer with parameters', () => {
  it.each<LayerSpec>([{type: 'conv2d', filters: 2, kernel: 3}, {type: 'dense', units: 2}, {type: 'batchNorm'}])(
    'emits no input gradient nodes for %o when none is asked for',
    (spec) => {
      const inputShape = spec.type === 'dense' ? [4] : [2, 4, 4]
      const [layer] = resolveLayers(inputShape, [spec])
      const g = new GraphBuilder('lowest')
      const params: LayerParameters = {}
      for (const p of layer.parameters.filter((p) => p.trainable)) params[p.role] = g.input(p.name, 'float32', p.shape)
      const emission = emitLayer(g, g.input('x', 'float32', [2, ...inputShape]), layer, params, 'training')
      const gradients = emission.backward!(g.input('dy', 'float32', [2, ...layer.outputShape]), false)
      expect(gradients.dx).toBeUndefined()
      g.output(emission.output, 'y', 'float32', [2, ...layer.outputShape])
      for (const p of layer.parameters.filter((p) => p.trainable))
        g.output(gradients.params[p.role]!, `grad_${p.role}`, 'float32', p.shape)
      expect(() => g.toBytes()).not.toThrow()
    },
  )
})

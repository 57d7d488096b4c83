import {describe, expect, it} from 'vitest'
import {initialWeights} from '../../src/core/model/initializers.js'
import {presetSpec} from '../../src/core/model/presets.js'
import {deriveSeed, Random} from '../../src/core/model/random.js'
import {resolveModel} from '../../src/core/model/resolve-model.js'

const model = resolveModel({
  inputShape: [3, 8, 8],
  layers: [
    {type: 'conv2d', filters: 16, kernel: 3},
    {type: 'batchNorm'},
    {type: 'flatten'},
    {type: 'dense', units: 10},
  ],
})

const bytes = (data: Float32Array) => Buffer.from(data.buffer, data.byteOffset, data.byteLength)

describe('initial weights', () => {
  it('are bit-identical for the same seed and differ for another seed', () => {
    const a = initialWeights(resolveModel(presetSpec('lenet', {inputShape: [1, 28, 28], outputs: 10})), 42)
    const b = initialWeights(resolveModel(presetSpec('lenet', {inputShape: [1, 28, 28], outputs: 10})), 42)
    const c = initialWeights(resolveModel(presetSpec('lenet', {inputShape: [1, 28, 28], outputs: 10})), 43)
    a.forEach((w, i) => expect(bytes(w.data).equals(bytes(b[i].data))).toBe(true))
    expect(bytes(a[0].data).equals(bytes(c[0].data))).toBe(false)
  })

  it('follow Keras defaults: Glorot-uniform kernels, zero biases, gamma 1, beta 0, moving stats 0 and 1', () => {
    const weights = new Map(initialWeights(model, 7).map((w) => [w.name, w]))
    // conv: fan-in 3*3*3, fan-out 16*3*3
    const convLimit = Math.sqrt(6 / (27 + 144))
    const conv = weights.get('conv2d_1/kernel')!.data
    expect(Math.max(...conv.map(Math.abs))).toBeLessThanOrEqual(convLimit)
    expect(Math.max(...conv.map(Math.abs))).toBeGreaterThan(0.95 * convLimit)
    // uniform(-a, a) has variance a^2 / 3
    const variance = conv.reduce((s, v) => s + v * v, 0) / conv.length
    expect(variance).toBeGreaterThan(0.8 * (convLimit ** 2 / 3))
    expect(variance).toBeLessThan(1.2 * (convLimit ** 2 / 3))
    const dense = weights.get('dense_1/kernel')!
    expect(dense.shape).toEqual([16 * 6 * 6, 10])
    expect(Math.max(...dense.data.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / (576 + 10)))
    expect(weights.get('conv2d_1/bias')!.data.every((v) => v === 0)).toBe(true)
    expect(weights.get('batchNorm_1/gamma')!.data.every((v) => v === 1)).toBe(true)
    expect(weights.get('batchNorm_1/beta')!.data.every((v) => v === 0)).toBe(true)
    expect(weights.get('batchNorm_1/movingMean')!.data.every((v) => v === 0)).toBe(true)
    expect(weights.get('batchNorm_1/movingVariance')!.data.every((v) => v === 1)).toBe(true)
  })
})

describe('seeded random numbers', () => {
  it('repeat for a seed, stay in [0, 1) and look uniform', () => {
    const a = new Random(deriveSeed(5, 1))
    const b = new Random(deriveSeed(5, 1))
    const values = Array.from({length: 10_000}, () => a.next())
    expect(values.every((v) => v === b.next())).toBe(true)
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true)
    const mean = values.reduce((s, v) => s + v, 0) / values.length
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01)
  })

  it('derive distinct seeds from each part, large and negative seeds included', () => {
    const seeds = new Set([
      deriveSeed(1, 2),
      deriveSeed(2, 1),
      deriveSeed(1, 3),
      deriveSeed(2 ** 40, 2),
      deriveSeed(-1, 2),
      deriveSeed(1, 2, 0),
    ])
    expect(seeds.size).toBe(6)
    expect(() => deriveSeed(0.5)).toThrow()
  })
})

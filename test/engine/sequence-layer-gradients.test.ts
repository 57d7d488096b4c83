/**
 * Gradient checks of the sequence layers (embedding, conv1d, masked global pooling, parallel, dropout on a
 * sequence) against float64 finite differences, as layer-gradients.test.ts does for the image layers: each
 * rule alone in a graph with a mask input, then whole token models through emitForwardPass.
 */
import {describe, expect, it} from 'vitest'
import {emitLayer} from '../../src/core/engine/layers/index.js'
import type {LayerContext, LayerParameters} from '../../src/core/engine/layer-emitter.js'
import {sizeOf} from '../../src/core/model/parameters.js'
import {resolveLayers, type ResolvedLayer} from '../../src/core/model/resolve-model.js'
import type {LayerSpec} from '../../src/core/model/spec.js'
import {GraphBuilder} from '../../src/core/onnx/graph-builder.js'
import {expectGradientClose, numericGradient, randomValues, runOnce} from './helpers/gradient-check.js'
import {conv1d, embedding, globalPool} from './helpers/reference-sequence-layers.js'

const BATCH = 3
const LENGTH = 7
/** Tokens per example: one full row, one half padded, one all padding (only the embedding sees that one). */
const TOKENS = [7, 4, 1]

function maskValues(length = LENGTH, tokens = TOKENS): Float32Array {
  const mask = new Float32Array(BATCH * length)
  tokens.forEach((count, n) => mask.fill(1, n * length, n * length + count))
  return mask
}

/** A context whose mask is a `mask` graph input [BATCH, LENGTH], declared on first use. */
function maskContext(g: GraphBuilder): LayerContext & {used: () => boolean} {
  let mask: string | undefined
  return {
    sequenceMask: () => (mask ??= g.input('mask', 'float32', [BATCH, LENGTH])),
    parameters: () => ({}),
    used: () => mask !== undefined,
  }
}

/** One float64 forward of a layer on a sequence, for finite differences. */
type Reference = (layer: ResolvedLayer, x: Float64Array, params: Record<string, Float64Array>) => Float64Array

async function checkSequenceLayer(spec: LayerSpec, inputShape: number[], reference: Reference): Promise<void> {
  const [layer] = resolveLayers(inputShape, [spec])
  const g = new GraphBuilder('sequence-layer')
  const context = maskContext(g)
  const x = randomValues(BATCH * sizeOf(inputShape), 1)
  const feeds: Record<string, {data: Float32Array; dims: number[]}> = {
    x: {data: x, dims: [BATCH, ...inputShape]},
    mask: {data: maskValues(), dims: [BATCH, LENGTH]},
  }
  const params: LayerParameters = {}
  const values: Record<string, Float32Array> = {}
  layer.parameters.forEach((p, i) => {
    params[p.role] = g.input(p.name, 'float32', p.shape)
    values[p.role] = randomValues(sizeOf(p.shape), 10 + i)
    feeds[p.name] = {data: values[p.role], dims: p.shape}
  })
  const emission = emitLayer(g, g.input('x', 'float32', [BATCH, ...inputShape]), layer, params, 'training', context)
  const outShape = [BATCH, ...layer.outputShape]
  const dy = randomValues(sizeOf(outShape), 2)
  feeds.dy = {data: dy, dims: outShape}
  const gradients = emission.backward!(g.input('dy', 'float32', outShape), true)
  g.output(emission.output, 'y', 'float32', outShape)
  g.output(gradients.dx!, 'dx', 'float32', [BATCH, ...inputShape])
  for (const p of layer.parameters) g.output(gradients.params[p.role]!, `grad_${p.role}`, 'float32', p.shape)
  if (!context.used()) delete feeds.mask
  const out = await runOnce(g.toBytes(), feeds)

  const x64 = Float64Array.from(x)
  const p64 = Object.fromEntries(Object.entries(values).map(([role, v]) => [role, Float64Array.from(v)]))
  const loss = () => reference(layer, x64, p64).reduce((sum, v, i) => sum + v * dy[i], 0)
  expectGradientClose(out.y, reference(layer, x64, p64), `${spec.type} forward`)
  expectGradientClose(out.dx, numericGradient(x64, loss), `${spec.type} dx`)
  for (const role of Object.keys(values))
    expectGradientClose(out[`grad_${role}`], numericGradient(p64[role], loss), `${spec.type} d${role}`)
}

const mask64 = Float64Array.from(maskValues())

describe('sequence layers backward', () => {
  it.each([1, 3, 9])('conv1d, kernel %i (zero past the end)', async (kernel) => {
    await checkSequenceLayer({type: 'conv1d', filters: 4, kernel}, [LENGTH, 3], (layer, x, p) =>
      conv1d(layer, x, BATCH, p.kernel, p.bias),
    )
  })

  it.each(['globalAveragePool1d', 'globalMaxPool1d'] as const)('%s over the tokens only', async (type) => {
    await checkSequenceLayer({type}, [LENGTH, 3], (layer, x) =>
      globalPool(type === 'globalAveragePool1d' ? 'mean' : 'max', x, BATCH, layer.inputShape, mask64, LENGTH),
    )
  })

  it('dropout on a sequence', async () => {
    const [layer] = resolveLayers([LENGTH, 2], [{type: 'dropout', rate: 0.5}])
    const g = new GraphBuilder('dropout')
    const emission = emitLayer(g, g.input('x', 'float32', [BATCH, LENGTH, 2]), layer, {}, 'training')
    expect(emission.noiseInput).toBeDefined()
    g.output(emission.output, 'y', 'float32', [BATCH, LENGTH, 2])
    const x = randomValues(BATCH * LENGTH * 2, 1)
    const noise = randomValues(x.length, 2, 0, 1)
    const out = await runOnce(g.toBytes(), {
      x: {data: x, dims: [BATCH, LENGTH, 2]},
      [emission.noiseInput!]: {data: noise, dims: [BATCH, LENGTH, 2]},
    })
    expect(Array.from(out.y)).toEqual(Array.from(x, (v, i) => (noise[i] >= 0.5 ? Math.fround(v * 2) : v * 0)))
  })
})

describe('embedding backward', () => {
  it('sums dy into the rows of the ids it looked up; the padding row gets no gradient', async () => {
    const vocab = 6
    const dim = 3
    const [layer] = resolveLayers([LENGTH], [{type: 'embedding', vocab, dim}])
    const mask = maskValues()
    // padding (id 0) where the mask is 0; a repeated id (2) to check that contributions add up
    const ids = Int32Array.from(mask, (m, i) => (m ? 1 + ((i * 5) % (vocab - 1)) : 0))
    ids[1] = 2
    ids[2] = 2
    const g = new GraphBuilder('embedding')
    const context = maskContext(g)
    const table = g.input('table', 'float32', [vocab, dim])
    const emission = emitLayer(
      g,
      g.input('ids', 'int32', [BATCH, LENGTH]),
      layer,
      {embeddings: table},
      'training',
      context,
    )
    const outShape = [BATCH, LENGTH, dim]
    const gradients = emission.backward!(g.input('dy', 'float32', outShape), false)
    expect(gradients.dx).toBeUndefined()
    g.output(emission.output, 'y', 'float32', outShape)
    g.output(gradients.params.embeddings!, 'dw', 'float32', [vocab, dim])
    const w = randomValues(vocab * dim, 3)
    const dy = randomValues(sizeOf(outShape), 4)
    const out = await runOnce(g.toBytes(), {
      ids: {data: ids, dims: [BATCH, LENGTH]},
      mask: {data: mask, dims: [BATCH, LENGTH]},
      table: {data: w, dims: [vocab, dim]},
      dy: {data: dy, dims: outShape},
    })
    const w64 = Float64Array.from(w)
    const forward = () => embedding(ids, w64, dim, Float64Array.from(mask))
    expectGradientClose(out.y, forward(), 'embedding forward')
    expectGradientClose(
      out.dw,
      numericGradient(w64, () => forward().reduce((s, v, i) => s + v * dy[i], 0)),
      'dW',
    )
    expect(Array.from(out.dw.subarray(0, dim))).toEqual([0, 0, 0])
  })
})

describe('parallel backward', () => {
  it('splits dy over its branches, sums their input gradients and names every branch parameter', async () => {
    const spec: LayerSpec = {
      type: 'parallel',
      branches: [
        [{type: 'conv1d', filters: 2, kernel: 2}, {type: 'relu'}, {type: 'globalMaxPool1d'}],
        [{type: 'conv1d', filters: 3, kernel: 3}, {type: 'globalAveragePool1d'}],
      ],
    }
    const inputShape = [LENGTH, 2]
    const [layer] = resolveLayers(inputShape, [spec])
    expect(layer.outputShape).toEqual([5])
    expect(layer.branches!.map((b) => b[0].outputShape)).toEqual([
      [LENGTH, 2],
      [LENGTH, 3],
    ])
    expect(layer.parameters.map((p) => p.name)).toEqual([
      'conv1d_1/kernel',
      'conv1d_1/bias',
      'conv1d_2/kernel',
      'conv1d_2/bias',
    ])
    const g = new GraphBuilder('parallel')
    const base = maskContext(g)
    const values = new Map(layer.parameters.map((p, i) => [p.name, randomValues(sizeOf(p.shape), 20 + i)]))
    const context: LayerContext = {
      sequenceMask: base.sequenceMask,
      parameters: (inner) =>
        Object.fromEntries(inner.parameters.map((p) => [p.role, g.input(p.name, 'float32', p.shape)])),
    }
    const x = randomValues(BATCH * sizeOf(inputShape), 5)
    const emission = emitLayer(g, g.input('x', 'float32', [BATCH, ...inputShape]), layer, {}, 'training', context)
    const dy = randomValues(BATCH * 5, 6)
    const gradients = emission.backward!(g.input('dy', 'float32', [BATCH, 5]), true)
    g.output(emission.output, 'y', 'float32', [BATCH, 5])
    g.output(gradients.dx!, 'dx', 'float32', [BATCH, ...inputShape])
    for (const p of layer.parameters) g.output(gradients.named![p.name], `grad_${p.name}`, 'float32', p.shape)
    const feeds: Record<string, {data: Float32Array; dims: number[]}> = {
      x: {data: x, dims: [BATCH, ...inputShape]},
      mask: {data: maskValues(), dims: [BATCH, LENGTH]},
      dy: {data: dy, dims: [BATCH, 5]},
    }
    for (const p of layer.parameters) feeds[p.name] = {data: values.get(p.name)!, dims: p.shape}
    const out = await runOnce(g.toBytes(), feeds)

    const x64 = Float64Array.from(x)
    const p64 = new Map([...values].map(([name, v]) => [name, Float64Array.from(v)]))
    const [a, b] = layer.branches!
    const forward = () => {
      const ya = conv1d(a[0], x64, BATCH, p64.get('conv1d_1/kernel')!, p64.get('conv1d_1/bias')!).map((v) =>
        Math.max(v, 0),
      )
      const pa = globalPool('max', ya, BATCH, a[2].inputShape, mask64, LENGTH)
      const yb = conv1d(b[0], x64, BATCH, p64.get('conv1d_2/kernel')!, p64.get('conv1d_2/bias')!)
      const pb = globalPool('mean', yb, BATCH, b[1].inputShape, mask64, LENGTH)
      return Float64Array.from({length: BATCH * 5}, (_, i) => {
        const [n, c] = [Math.floor(i / 5), i % 5]
        return c < 2 ? pa[n * 2 + c] : pb[n * 3 + c - 2]
      })
    }
    const loss = () => forward().reduce((s, v, i) => s + v * dy[i], 0)
    expectGradientClose(out.y, forward(), 'parallel forward')
    expectGradientClose(out.dx, numericGradient(x64, loss), 'parallel dx')
    for (const p of layer.parameters)
      expectGradientClose(out[`grad_${p.name}`], numericGradient(p64.get(p.name)!, loss), `parallel d${p.name}`)
  })
})

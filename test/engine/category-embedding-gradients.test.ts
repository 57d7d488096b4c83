/**
 * The categoryEmbedding rule (a table's category index column → a learned vector) against float64 finite
 * differences, as layer-gradients.test.ts checks the other layers: its output, dW (a repeated category adds
 * up) and dx (the other columns' gradients back at their places, none for the index), with the column at
 * the start, in the middle, at the end and alone; and the unknown index 0 for an index out of range.
 */
import {describe, expect, it} from 'vitest'
import {emitLayer} from '../../src/core/engine/layers/index.js'
import {resolveLayers, type ResolvedLayer} from '../../src/core/model/resolve-model.js'
import type {CategoryEmbeddingSpec} from '../../src/core/model/spec.js'
import {GraphBuilder} from '../../src/core/onnx/graph-builder.js'
import {expectGradientClose, numericGradient, randomValues, runOnce} from './helpers/gradient-check.js'

const BATCH = 5
const CATEGORIES = 4
const DIM = 3

/**
 * float64 forward: the other columns in order, then the row of category `cells[n]` (truncated; 0 unless
 * -1 < cell < categories). The indices are given apart from x: a category has no slope, so nudging its cell
 * must not move the finite difference across to the next row.
 */
function reference(
  layer: ResolvedLayer<CategoryEmbeddingSpec>,
  x: Float64Array,
  table: Float64Array,
  cells: number[],
): Float64Array {
  const [features] = layer.inputShape
  const {column, categories, dim} = layer.spec
  const width = features - 1 + dim
  const y = new Float64Array(BATCH * width)
  for (let n = 0; n < BATCH; n++) {
    const row = x.subarray(n * features, (n + 1) * features)
    const others = [...row].filter((_, c) => c !== column)
    const id = cells[n] > -1 && cells[n] < categories ? Math.trunc(cells[n]) : 0
    y.set([...others, ...table.subarray(id * dim, (id + 1) * dim)], n * width)
  }
  return y
}

async function check(features: number, column: number, ids: number[]) {
  const spec: CategoryEmbeddingSpec = {type: 'categoryEmbedding', column, categories: CATEGORIES, dim: DIM}
  const [layer] = resolveLayers([features], [spec]) as [ResolvedLayer<CategoryEmbeddingSpec>]
  expect(layer.outputShape).toEqual([features - 1 + DIM])
  const g = new GraphBuilder('category-embedding')
  const table = g.input('table', 'float32', [CATEGORIES, DIM])
  const emission = emitLayer(g, g.input('x', 'float32', [BATCH, features]), layer, {embeddings: table}, 'training')
  const outShape = [BATCH, features - 1 + DIM]
  const gradients = emission.backward!(g.input('dy', 'float32', outShape), true)
  g.output(emission.output, 'y', 'float32', outShape)
  g.output(gradients.dx!, 'dx', 'float32', [BATCH, features])
  g.output(gradients.params.embeddings!, 'dw', 'float32', [CATEGORIES, DIM])
  const x = randomValues(BATCH * features, 1)
  ids.forEach((id, n) => (x[n * features + column] = id))
  const w = randomValues(CATEGORIES * DIM, 2)
  const dy = randomValues(BATCH * outShape[1], 3)
  const out = await runOnce(g.toBytes(), {
    x: {data: x, dims: [BATCH, features]},
    table: {data: w, dims: [CATEGORIES, DIM]},
    dy: {data: dy, dims: outShape},
  })
  const [x64, w64] = [Float64Array.from(x), Float64Array.from(w)]
  const loss = () => reference(layer, x64, w64, ids).reduce((s, v, i) => s + v * dy[i], 0)
  expectGradientClose(out.y, reference(layer, x64, w64, ids), 'forward')
  expectGradientClose(out.dw, numericGradient(w64, loss), 'dW')
  expectGradientClose(out.dx, numericGradient(x64, loss), 'dx')
  for (let n = 0; n < BATCH; n++) expect(out.dx[n * features + column]).toBe(0)
  return out
}

describe('categoryEmbedding backward', () => {
  it.each([
    ['first of four', 4, 0],
    ['in the middle', 4, 2],
    ['last', 4, 3],
    ['the only column', 1, 0],
  ])('the index column %s', async (_where, features, column) => {
    // category 2 three times: its row's gradient is the sum of three rows of dy
    await check(features, column, [2, 1, 2, 3, 2])
  })

  it('truncates an index, and reads one that does not truncate into [0, categories), or NaN, as 0', async () => {
    const out = await check(3, 1, [-1, 4, Number.NaN, 2.5, -0.5])
    // -1, 4 and NaN are the unknown index 0, and -0.5 truncates to it; 2.5 is 2: row 0 got four rows of dy
    const rowsUsed = Array.from({length: CATEGORIES}, (_, r) =>
      out.dw.subarray(r * DIM, (r + 1) * DIM).some((v) => v !== 0),
    )
    expect(rowsUsed).toEqual([true, false, true, false])
  })
})

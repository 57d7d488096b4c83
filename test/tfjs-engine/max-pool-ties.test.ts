/**
 * Where a max-pool window holds tied maxima the max has no derivative, and the engines choose different (equally
 * valid) subgradients: ONNX Runtime's rule splits the window's dy evenly among the tied maxima; TF.js's own rule
 * gives all of it to one of them. The TF.js engine replaces that rule on the pure-JavaScript backend when the
 * windows tile the input, and splits evenly there, so the two engines agree exactly. Per window, the gradient
 * always adds up to dy. Inputs here are integers in {0, 1, 2}, so most windows tie.
 */
import type {Tensor, Tensor4D} from '@tensorflow/tfjs'
import {beforeAll, describe, expect, it} from 'vitest'
import {emitLayer} from '../../src/core/engine/layers/index.js'
import {sizeOf} from '../../src/core/model/parameters.js'
import {resolveLayers, type ResolvedLayer} from '../../src/core/model/resolve-model.js'
import type {Pool2dSpec} from '../../src/core/model/spec.js'
import {poolGeometry} from '../../src/core/model/window-geometry.js'
import {GraphBuilder} from '../../src/core/onnx/graph-builder.js'
import {loadTfjs, type Tfjs} from '../../src/core/tfjs-engine/load-tfjs.js'
import {maxPool2d} from '../../src/core/tfjs-engine/max-pool2d.js'
import {expectGradientClose, randomValues, runOnce} from '../engine/helpers/gradient-check.js'

let tf: Tfjs
beforeAll(async () => {
  tf = (await loadTfjs()).tf
})

const BATCH = 2

/** A max pool over tied integer inputs; x and dx are [N, C, H, W], dy [N, C, outH, outW]. */
interface TiedPool {
  layer: ResolvedLayer<Pool2dSpec>
  x: Float32Array
  dy: Float32Array
  /** Indices into x of each window's cells, in the order of dy. */
  windows: number[][]
}

function tiedPool(spec: Pool2dSpec, inputShape: number[]): TiedPool {
  const layer = resolveLayers(inputShape, [spec])[0] as ResolvedLayer<Pool2dSpec>
  const [channels, height, width] = inputShape
  const [, outHeight, outWidth] = layer.outputShape
  const {kernel, stride} = poolGeometry(spec, height, width)
  const windows: number[][] = []
  for (let nc = 0; nc < BATCH * channels; nc++)
    for (let oy = 0; oy < outHeight; oy++)
      for (let ox = 0; ox < outWidth; ox++) {
        const cells: number[] = []
        for (let ky = 0; ky < kernel; ky++)
          for (let kx = 0; kx < kernel; kx++) cells.push((nc * height + oy * stride + ky) * width + ox * stride + kx)
        windows.push(cells)
      }
  const x = randomValues(BATCH * sizeOf(inputShape), 5, 0, 3).map(Math.floor)
  return {layer, x, dy: randomValues(windows.length, 6), windows}
}

const maxima = (x: Float32Array, cells: number[]) => {
  const max = Math.max(...cells.map((i) => x[i]))
  return cells.filter((i) => x[i] === max)
}

/** The ONNX Runtime engine's max-pool backward rule, run on its own. */
async function ortDx({layer, x, dy}: TiedPool): Promise<Float32Array> {
  const inputShape = [BATCH, ...layer.inputShape]
  const outputShape = [BATCH, ...layer.outputShape]
  const g = new GraphBuilder('max-pool-ties')
  const emission = emitLayer(g, g.input('x', 'float32', inputShape), layer, {}, 'training')
  g.output(emission.backward!(g.input('dy', 'float32', outputShape), true).dx!, 'dx', 'float32', inputShape)
  const out = await runOnce(g.toBytes(), {x: {data: x, dims: inputShape}, dy: {data: dy, dims: outputShape}})
  return out.dx
}

/** The TF.js engine's maxPool2d gradient, computed in NHWC and returned in NCHW. */
function tfjsDx({layer, x, dy}: TiedPool, pureJavaScript: boolean): Float32Array {
  const [channels, height, width] = layer.inputShape
  const [, outHeight, outWidth] = layer.outputShape
  const geometry = poolGeometry(layer.spec, height, width)
  return tf.tidy(() => {
    const nhwc = (data: Float32Array, h: number, w: number) =>
      tf.transpose(tf.tensor4d(data, [BATCH, channels, h, w]), [0, 2, 3, 1])
    const dyNhwc = nhwc(dy, outHeight, outWidth)
    const pool = (xs: Tensor) => tf.sum(tf.mul(maxPool2d(tf, xs as Tensor4D, geometry, pureJavaScript), dyNhwc))
    const [dx] = tf.grads(pool)([nhwc(x, height, width)])
    return tf.transpose(dx, [0, 3, 1, 2]).dataSync() as Float32Array
  })
}

/** ONNX Runtime's choice: each window's dy split evenly among its tied maxima. */
function evenSplit({x, dy, windows}: TiedPool): Float64Array {
  const dx = new Float64Array(x.length)
  windows.forEach((cells, o) => {
    const winners = maxima(x, cells)
    for (const i of winners) dx[i] += dy[o] / winners.length
  })
  return dx
}

describe('max-pool gradients at tied maxima', () => {
  it('windows that tile the input, pure-JavaScript backend: both engines split dy evenly and agree', async () => {
    const pool = tiedPool({type: 'maxPool2d', size: 2}, [2, 4, 6])
    expect(pool.windows.filter((cells) => maxima(pool.x, cells).length > 1).length).toBeGreaterThan(3)
    const ort = await ortDx(pool)
    expectGradientClose(ort, evenSplit(pool), 'ONNX Runtime dx')
    expectGradientClose(tfjsDx(pool, true), ort, 'TF.js dx')
  })

  // Windows that do not overlap, so that each window's share of dx can be read on its own cells.
  it.each<[string, number[], boolean]>([
    ['windows that do not tile the input', [2, 5, 7], true],
    ['the rule native backends keep, for tiling windows too', [2, 4, 6], false],
  ])("TF.js's own rule gives each window's dy to one of its tied maxima: %s", async (_name, inputShape, pure) => {
    const pool = tiedPool({type: 'maxPool2d', size: 2}, inputShape)
    const tfjs = tfjsDx(pool, pure)
    const ort = await ortDx(pool)
    expectGradientClose(ort, evenSplit(pool), 'ONNX Runtime dx')
    let tiedWindows = 0
    pool.windows.forEach((cells, o) => {
      const winners = maxima(pool.x, cells)
      if (winners.length > 1) tiedWindows++
      const receivers = cells.filter((i) => tfjs[i] !== 0)
      expect(receivers).toHaveLength(1)
      expect(winners).toContain(receivers[0])
      expect(tfjs[receivers[0]]).toBe(pool.dy[o])
    })
    expect(tiedWindows).toBeGreaterThan(3)
    // Cells outside every window (the leftover row and column) get nothing from either engine.
    const covered = new Set(pool.windows.flat())
    for (let i = 0; i < pool.x.length; i++)
      if (!covered.has(i)) expect(tfjs[i] === 0 && ort[i] === 0, `${i}`).toBe(true)
  })
})

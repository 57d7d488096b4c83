/**
 * On the pure-JavaScript backend the engine replaces two slow TF.js gradient kernels (conv2d.ts,
 * max-pool2d.ts); native backends keep TF.js's own. Both paths must give the same gradients.
 */
import type {Rank, Tensor, Tensor4D} from '@tensorflow/tfjs'
import {beforeAll, describe, expect, it} from 'vitest'
import type {Conv2dSpec, Pool2dSpec} from '../../src/core/model/spec.js'
import {resolveLayers} from '../../src/core/model/resolve-model.js'
import {convGeometry, poolGeometry} from '../../src/core/model/window-geometry.js'
import {conv2d} from '../../src/core/tfjs-engine/conv2d.js'
import {loadTfjs, type Tfjs} from '../../src/core/tfjs-engine/load-tfjs.js'
import {maxPool2d} from '../../src/core/tfjs-engine/max-pool2d.js'
import {expectGradientClose, numericGradient} from '../engine/helpers/gradient-check.js'
import {referenceLayer} from '../engine/helpers/reference-layers.js'
import {relativeError, TOLERANCE} from './helpers/compare.js'

let tf: Tfjs
beforeAll(async () => {
  tf = (await loadTfjs()).tf
})

/** Gradients of sum(dy * f(inputs)) with respect to every input, with a fixed random dy. */
function gradients(f: (...inputs: Tensor[]) => Tensor, inputs: Tensor[]): Float32Array[] {
  return tf.tidy(() => {
    const dy = tf.randomUniform(f(...inputs).shape, -1, 1, 'float32', 3)
    return tf
      .grads((...xs: Tensor[]) => tf.sum(tf.mul(f(...xs), dy)))(inputs)
      .map((g) => g.dataSync() as Float32Array)
  })
}

/**
 * gradients()'s dx for f = maxPool, from float64 central differences over the reference max pool (NCHW, so
 * x and dy are transposed in and the result out). Random inputs never tie, so the max is differentiable.
 */
function numericMaxPoolGradient(spec: Pool2dSpec, x: Tensor4D): Float32Array {
  const [batch, height, width, channels] = x.shape
  const [layer] = resolveLayers([channels, height, width], [spec])
  return tf.tidy(() => {
    const toNchw = (t: Tensor) => Float64Array.from(tf.transpose(t, [0, 3, 1, 2]).dataSync())
    const dy = toNchw(tf.randomUniform([batch, ...layer.outputShape.slice(1), channels], -1, 1, 'float32', 3))
    const values = toNchw(x)
    const numeric = numericGradient(values, () =>
      referenceLayer(layer, values, batch, {}, 'training').reduce((sum, y, i) => sum + y * dy[i], 0),
    )
    return tf
      .transpose(tf.tensor4d(Float32Array.from(numeric), [batch, channels, height, width]), [0, 2, 3, 1])
      .dataSync() as Float32Array
  })
}

describe('pure-JavaScript gradient rules equal TF.js autodiff', () => {
  it.each<[string, Conv2dSpec, number[]]>([
    ['3x3 valid', {type: 'conv2d', filters: 3, kernel: 3}, [6, 6, 2]],
    ['5x5 same (LeNet)', {type: 'conv2d', filters: 4, kernel: 5, padding: 'same'}, [8, 8, 1]],
    ['stride 2 with a leftover row', {type: 'conv2d', filters: 2, kernel: 3, stride: 2}, [8, 7, 3]],
    [
      'even kernel, same, stride 2 (asymmetric pads)',
      {type: 'conv2d', filters: 2, kernel: 4, stride: 2, padding: 'same'},
      [7, 7, 2],
    ],
    ['numeric padding 1, stride 2', {type: 'conv2d', filters: 2, kernel: 3, stride: 2, padding: 1}, [6, 5, 2]],
  ])('conv2d %s', (_name, spec, [height, width, channels]) => {
    const geometry = convGeometry(spec, height, width)
    const x = tf.randomUniform<Rank.R4>([3, height, width, channels], -1, 1, 'float32', 1)
    const kernel = tf.randomUniform<Rank.R4>([spec.kernel, spec.kernel, channels, spec.filters], -1, 1, 'float32', 2)
    const conv = (pureJavaScript: boolean) => (xs: Tensor, w: Tensor) =>
      conv2d(tf, xs as Tensor4D, w as Tensor4D, geometry, {pureJavaScript, needInputGradient: true})
    const [dx, dk] = gradients(conv(true), [x, kernel])
    const [dxReference, dkReference] = gradients(conv(false), [x, kernel])
    expect(relativeError(dx, dxReference)).toBeLessThan(TOLERANCE)
    expect(relativeError(dk, dkReference)).toBeLessThan(TOLERANCE)
  })

  // Both arms run TF.js's own rule where the windows do not tile: the float64 finite differences are what can
  // tell a wrong rule there.
  it.each<[string, Pool2dSpec, number[]]>([
    ['2x2 tiling (replaced rule)', {type: 'maxPool2d', size: 2}, [8, 6, 3]],
    ['2x2 with a leftover row (TF.js rule)', {type: 'maxPool2d', size: 2}, [7, 6, 3]],
    ['3x3 stride 2 (TF.js rule)', {type: 'maxPool2d', size: 3, stride: 2}, [7, 7, 2]],
  ])('maxPool2d %s', (_name, spec, [height, width, channels]) => {
    const geometry = poolGeometry(spec, height, width)
    const x = tf.randomUniform([2, height, width, channels], -1, 1, 'float32', 4)
    const pool = (pureJavaScript: boolean) => (xs: Tensor) => maxPool2d(tf, xs as Tensor4D, geometry, pureJavaScript)
    const [dx] = gradients(pool(true), [x])
    expect(relativeError(dx, gradients(pool(false), [x])[0])).toBe(0)
    expectGradientClose(dx, numericMaxPoolGradient(spec, x as Tensor4D), 'dx')
  })

  it('maxPool2d splits dy evenly between tied maxima, as the ONNX Runtime engine does', () => {
    const x = tf.tensor4d([1, 1, 0, 2, 1, 1, 2, 2], [1, 2, 4, 1])
    const [dx] = gradients(
      (xs) => maxPool2d(tf, xs as Tensor4D, poolGeometry({type: 'maxPool2d', size: 2}, 2, 4), true),
      [x],
    )
    const dy = tf.tidy(() => tf.randomUniform([1, 1, 2, 1], -1, 1, 'float32', 3).dataSync())
    expect(Array.from(dx, (v) => v + 0)).toEqual(
      [dy[0] / 4, dy[0] / 4, 0, dy[1] / 3, dy[0] / 4, dy[0] / 4, dy[1] / 3, dy[1] / 3].map(Math.fround),
    )
  })
})

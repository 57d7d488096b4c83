import {describe, it} from 'vitest'
import {createOptimizer} from '../../src/core/optim/index.js'
import {expectClose, f32} from './expect-close.js'

describe('rmsprop', () => {
  it('v = rho*v + (1-rho)*g^2; w -= lr*g/(sqrt(v) + eps)', () => {
    const opt = createOptimizer({name: 'rmsprop', lr: 0.1, rho: 0.5}, [1])
    const w = f32([1])
    opt.step([w], [f32([2])]) // v = 2, w = 1 - 0.1*2/sqrt(2)
    expectClose(w, [1 - 0.1 * Math.SQRT2])
    opt.step([w], [f32([2])]) // v = 1 + 2 = 3, w -= 0.1*2/sqrt(3)
    expectClose(w, [1 - 0.1 * Math.SQRT2 - 0.2 / Math.sqrt(3)])
  })

  it('default rho is 0.99', () => {
    const opt = createOptimizer({name: 'rmsprop', lr: 0.1}, [1])
    const w = f32([0])
    opt.step([w], [f32([1])]) // v = 0.01, w = -0.1*1/0.1
    expectClose(w, [-1])
  })

  it('momentum: buf = mu*buf + g/(sqrt(v) + eps); w -= lr*buf', () => {
    const opt = createOptimizer({name: 'rmsprop', lr: 0.1, rho: 0.5, momentum: 0.5}, [1])
    const w = f32([1])
    opt.step([w], [f32([2])]) // buf = 2/sqrt(2) = sqrt(2)
    expectClose(w, [1 - 0.1 * Math.SQRT2])
    opt.step([w], [f32([2])]) // buf = 0.5*sqrt(2) + 2/sqrt(3)
    expectClose(w, [1 - 0.1 * Math.SQRT2 - 0.1 * (0.5 * Math.SQRT2 + 2 / Math.sqrt(3))])
  })

  it('eps is added to the root, not under it (with and without momentum)', () => {
    for (const momentum of [0, 0.5]) {
      const opt = createOptimizer({name: 'rmsprop', lr: 1, rho: 0.75, eps: 1, momentum}, [1])
      const w = f32([0])
      opt.step([w], [f32([2])]) // v = 0.25*4 = 1, w = -2/(1 + 1)
      expectClose(w, [-1])
    }
  })

  it('weight decay adds wd*w to the gradient', () => {
    const opt = createOptimizer({name: 'rmsprop', lr: 0.1, rho: 0.5, weightDecay: 1}, [1])
    const w = f32([1])
    opt.step([w], [f32([1])]) // g = 2, v = 2, w = 1 - 0.1*2/sqrt(2)
    expectClose(w, [1 - 0.1 * Math.SQRT2])
  })
})

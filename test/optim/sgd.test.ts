import {describe, expect, it} from 'vitest'
import {createOptimizer} from '../../src/core/optim/index.js'
import {expectClose, f32} from './expect-close.js'

describe('sgd', () => {
  it('plain: w -= lr*g', () => {
    const opt = createOptimizer({name: 'sgd', lr: 0.1}, [2])
    const w = f32([1, -2])
    opt.step([w], [f32([0.5, 1])])
    expectClose(w, [0.95, -2.1])
    opt.step([w], [f32([1, -1])])
    expectClose(w, [0.85, -2.0])
    expect(opt.stepCount).toBe(2)
  })

  it('weight decay adds wd*w to the gradient', () => {
    const opt = createOptimizer({name: 'sgd', lr: 0.1, weightDecay: 0.1}, [2])
    const w = f32([1, -2])
    // g = [0.5 + 0.1*1, 1 + 0.1*(-2)] = [0.6, 0.8]
    opt.step([w], [f32([0.5, 1])])
    expectClose(w, [0.94, -2.08])
    // g = [1 + 0.094, -1 - 0.208]
    opt.step([w], [f32([1, -1])])
    expectClose(w, [0.94 - 0.1 * 1.094, -2.08 + 0.1 * 1.208])
  })
})

describe('momentum', () => {
  it('buf = mu*buf + g; w -= lr*buf (default mu 0.9)', () => {
    const opt = createOptimizer({name: 'momentum', lr: 0.1}, [1])
    const w = f32([1])
    const g = () => [f32([1])]
    opt.step([w], g()) // buf 1,    w = 1 - 0.1
    expectClose(w, [0.9])
    opt.step([w], g()) // buf 1.9,  w = 0.9 - 0.19
    expectClose(w, [0.71])
    opt.step([w], g()) // buf 2.71, w = 0.71 - 0.271
    expectClose(w, [0.439])
  })

  it('nesterov: w -= lr*(g + mu*buf)', () => {
    const opt = createOptimizer({name: 'momentum', lr: 0.1, momentum: 0.9, nesterov: true}, [1])
    const w = f32([1])
    const g = () => [f32([1])]
    opt.step([w], g()) // buf 1,    d = 1 + 0.9*1    = 1.9
    expectClose(w, [0.81])
    opt.step([w], g()) // buf 1.9,  d = 1 + 0.9*1.9  = 2.71
    expectClose(w, [0.539])
    opt.step([w], g()) // buf 2.71, d = 1 + 0.9*2.71 = 3.439
    expectClose(w, [0.1951])
  })

  it('weight decay enters the momentum buffer', () => {
    const opt = createOptimizer({name: 'momentum', lr: 0.1, momentum: 0.5, weightDecay: 0.5}, [1])
    const w = f32([2])
    opt.step([w], [f32([0])]) // g = 0 + 0.5*2 = 1, buf 1, w = 2 - 0.1 = 1.9
    expectClose(w, [1.9])
    opt.step([w], [f32([0])]) // g = 0.95, buf = 0.5 + 0.95 = 1.45, w = 1.9 - 0.145
    expectClose(w, [1.755])
  })

  it('updates several tensors independently', () => {
    const opt = createOptimizer({name: 'momentum', lr: 1, momentum: 0.5}, [1, 2])
    const a = f32([0])
    const b = f32([0, 0])
    opt.step([a, b], [f32([1]), f32([2, -2])])
    opt.step([a, b], [f32([1]), f32([0, 0])])
    // a: buf 1 then 1.5 -> -2.5; b: buf [2,-2] then [1,-1] -> [-3, 3]
    expectClose(a, [-2.5])
    expectClose(b, [-3, 3])
  })
})

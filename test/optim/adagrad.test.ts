import {describe, it} from 'vitest'
import {createOptimizer} from '../../src/core/optim/index.js'
import {expectClose, f32} from './expect-close.js'

describe('adagrad', () => {
  it('sum += g^2; w -= lr*g/(sqrt(sum) + eps)', () => {
    const opt = createOptimizer({name: 'adagrad', lr: 0.1}, [2])
    const w = f32([1, 0])
    opt.step([w], [f32([3, -1])]) // sum [9, 1]:  w = [1 - 0.1*3/3, 0 + 0.1*1/1]
    expectClose(w, [0.9, 0.1])
    opt.step([w], [f32([4, 0])]) // sum [25, 1]: w = [0.9 - 0.1*4/5, 0.1]
    expectClose(w, [0.82, 0.1])
  })

  it('weight decay adds wd*w before accumulating', () => {
    const opt = createOptimizer({name: 'adagrad', lr: 0.1, weightDecay: 1}, [1])
    const w = f32([1])
    opt.step([w], [f32([2])]) // g = 3, sum 9, w = 1 - 0.1
    expectClose(w, [0.9])
    opt.step([w], [f32([3.1])]) // g = 4, sum 25, w = 0.9 - 0.1*4/5
    expectClose(w, [0.82])
  })

  it('eps is added to the root, not under it', () => {
    const opt = createOptimizer({name: 'adagrad', lr: 1, eps: 1}, [1])
    const w = f32([0])
    opt.step([w], [f32([3])]) // w = -3/(3 + 1)
    expectClose(w, [-0.75])
  })
})

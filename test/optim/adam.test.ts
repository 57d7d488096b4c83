import {describe, it} from 'vitest'
import {createOptimizer} from '../../src/core/optim/index.js'
import {expectClose, f32} from './expect-close.js'

// Two steps with lr 0.1, betas (0.9, 0.999), gradients [2, -0.5] then [1, 1].
// Step 1: m = 0.1*g, v = 0.001*g^2, so m/(1-0.9) = g and sqrt(v/(1-0.999)) = |g|: the update is lr*sign(g).
// Step 2: bias corrections 1 - 0.9^2 = 0.19 and 1 - 0.999^2 = 0.001999;
//   element 0: m = 0.9*0.2 + 0.1*1 = 0.28,    v = 0.999*0.004 + 0.001*1 = 0.004996
//   element 1: m = 0.9*(-0.05) + 0.1 = 0.055, v = 0.999*0.00025 + 0.001 = 0.00124975
const adamStep2 = (m: number, v: number) => (0.1 * (m / 0.19)) / Math.sqrt(v / 0.001999)

describe('adam', () => {
  it('first step moves every weight by lr against the gradient sign; second step by the bias-corrected ratio', () => {
    const opt = createOptimizer({name: 'adam', lr: 0.1}, [2])
    const w = f32([1, -1])
    opt.step([w], [f32([2, -0.5])])
    expectClose(w, [0.9, -0.9])
    opt.step([w], [f32([1, 1])])
    expectClose(w, [0.9 - adamStep2(0.28, 0.004996), -0.9 - adamStep2(0.055, 0.00124975)])
  })

  it('L2 weight decay adds wd*w to the gradient', () => {
    const opt = createOptimizer({name: 'adam', lr: 0.1, weightDecay: 0.1}, [2])
    const w = f32([1, -1])
    opt.step([w], [f32([2, -0.5])]) // g = [2.1, -0.6]: still lr*sign(g)
    expectClose(w, [0.9, -0.9])
    // g = [1 + 0.09, 1 - 0.09] = [1.09, 0.91]
    // m = [0.9*0.21 + 0.109, 0.9*(-0.06) + 0.091] = [0.298, 0.037]
    // v = [0.999*0.00441 + 0.001*1.1881, 0.999*0.00036 + 0.001*0.8281] = [0.00559369, 0.00118774]
    opt.step([w], [f32([1, 1])])
    expectClose(w, [0.9 - adamStep2(0.298, 0.00559369), -0.9 - adamStep2(0.037, 0.00118774)])
  })

  it('eps is added after the bias-corrected root', () => {
    const opt = createOptimizer({name: 'adam', lr: 1, eps: 1}, [1])
    const w = f32([0])
    opt.step([w], [f32([3])]) // w = -3/(3 + 1)
    expectClose(w, [-0.75])
  })

  it('custom betas', () => {
    const opt = createOptimizer({name: 'adam', lr: 1, beta1: 0.5, beta2: 0.5}, [1])
    const w = f32([0])
    opt.step([w], [f32([1])]) // m 0.5, v 0.5 -> update 1
    opt.step([w], [f32([3])]) // m = 0.25 + 1.5 = 1.75, v = 0.25 + 4.5 = 4.75; corrections 0.75, 0.75
    expectClose(w, [-1 - 1.75 / 0.75 / Math.sqrt(4.75 / 0.75)])
  })
})

describe('adamw', () => {
  it('decays weights by (1 - lr*wd) before the Adam update, not through the gradient', () => {
    const opt = createOptimizer({name: 'adamw', lr: 0.1, weightDecay: 0.1}, [2])
    const w = f32([1, -1])
    opt.step([w], [f32([2, -0.5])]) // w*0.99 - lr*sign(g)
    expectClose(w, [0.89, -0.89])
    opt.step([w], [f32([1, 1])]) // moments as plain Adam
    expectClose(w, [0.89 * 0.99 - adamStep2(0.28, 0.004996), -0.89 * 0.99 - adamStep2(0.055, 0.00124975)])
  })

  it('default weight decay is 0.01, as torch', () => {
    const opt = createOptimizer({name: 'adamw', lr: 0.1}, [1])
    const w = f32([1])
    opt.step([w], [f32([1])]) // 1*(1 - 0.001) - 0.1
    expectClose(w, [0.899])
  })
})

import {describe, expect, it} from 'vitest'
import {clipGradNorm, createOptimizer} from '../../src/core/optim/index.js'
import {expectClose, f32} from './expect-close.js'

describe('clipGradNorm', () => {
  it('scales all tensors by maxNorm / (norm + 1e-6) when the global norm is larger', () => {
    const grads = [f32([3]), f32([0, 4])] // global norm 5
    expect(clipGradNorm(grads, 1)).toBe(5)
    const scale = 1 / (5 + 1e-6)
    expectClose(grads[0], [3 * scale], 1e-7)
    expectClose(grads[1], [0, 4 * scale], 1e-7)
  })

  it('the 1e-6 in the denominator matters for tiny norms, as in torch', () => {
    const grads = [f32([3e-6, 4e-6])] // norm 5e-6, scale 1e-6 / (5e-6 + 1e-6) = 1/6
    clipGradNorm(grads, 1e-6)
    expectClose([grads[0][0] / 3e-6, grads[0][1] / 4e-6], [1 / 6, 1 / 6])
  })

  it('leaves gradients untouched when the norm is within the limit', () => {
    const grads = [f32([3, -4])]
    expect(clipGradNorm(grads, 10)).toBe(5)
    expect(Array.from(grads[0])).toEqual([3, -4])
  })

  it('the optimizer clips before the update and before weight decay', () => {
    const opt = createOptimizer({name: 'sgd', lr: 1, clipNorm: 1, weightDecay: 1}, [2])
    const w = f32([1, 1])
    opt.step([w], [f32([3, 4])]) // clipped g ~ [0.6, 0.8], plus wd*w = 1
    expectClose(w, [1 - 1.6, 1 - 1.8])
  })

  it('clipNorm 0 turns clipping off', () => {
    const opt = createOptimizer({name: 'sgd', lr: 1, clipNorm: 0}, [1])
    const w = f32([0])
    opt.step([w], [f32([30])])
    expect(w[0]).toBe(-30)
  })
})

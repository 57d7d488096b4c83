import {describe, expect, it} from 'vitest'
import {createOptimizer, scheduledLr} from '../../src/core/optim/index.js'
import {expectClose, f32} from './expect-close.js'

describe('scheduledLr', () => {
  it('constant (also the default)', () => {
    expect(scheduledLr({name: 'sgd', lr: 0.3}, 0)).toBe(0.3)
    expect(scheduledLr({name: 'sgd', lr: 0.3, schedule: {type: 'constant'}}, 1000)).toBe(0.3)
  })

  it('step: lr * gamma^floor(step / stepSize)', () => {
    const config = {name: 'sgd', lr: 1, schedule: {type: 'step', stepSize: 3, gamma: 0.5}} as const
    expect([0, 1, 2, 3, 5, 6, 9].map((s) => scheduledLr(config, s))).toEqual([1, 1, 1, 0.5, 0.5, 0.25, 0.125])
  })

  it('cosine: minLr + (lr - minLr) * (1 + cos(pi * step / totalSteps)) / 2, then stays at minLr', () => {
    const config = {name: 'sgd', lr: 1, schedule: {type: 'cosine', totalSteps: 4, minLr: 0.1}} as const
    const lrs = [0, 1, 2, 4, 10].map((s) => scheduledLr(config, s))
    // cos(pi/4) = sqrt(2)/2
    expectClose(lrs, [1, 0.1 + 0.45 * (1 + Math.SQRT1_2), 0.55, 0.1, 0.1], 1e-12)
    expect(scheduledLr({name: 'sgd', lr: 2, schedule: {type: 'cosine', totalSteps: 2}}, 1)).toBeCloseTo(1, 12)
  })

  it('linear warm-up: update k uses (k+1)/warmupSteps of the scheduled lr', () => {
    const config = {name: 'sgd', lr: 0.2, warmupSteps: 4} as const
    expectClose(
      [0, 1, 2, 3, 4, 5].map((s) => scheduledLr(config, s)),
      [0.05, 0.1, 0.15, 0.2, 0.2, 0.2],
      1e-12,
    )
  })

  it('warm-up multiplies the schedule, which counts from step 0', () => {
    const config = {name: 'sgd', lr: 1, warmupSteps: 2, schedule: {type: 'step', stepSize: 1, gamma: 0.5}} as const
    // step 0: 1/2 * 1, step 1: 2/2 * 0.5, step 2: 0.25
    expect([0, 1, 2].map((s) => scheduledLr(config, s))).toEqual([0.5, 0.5, 0.25])
  })

  it('the optimizer uses the scheduled lr of each step', () => {
    const opt = createOptimizer({name: 'sgd', lr: 0.1, warmupSteps: 2}, [1])
    const w = f32([0])
    expect(opt.currentLr()).toBeCloseTo(0.05, 15)
    opt.step([w], [f32([1])]) // lr 0.05
    expect(opt.currentLr()).toBeCloseTo(0.1, 15)
    opt.step([w], [f32([1])]) // lr 0.1
    expectClose(w, [-0.15])
  })
})

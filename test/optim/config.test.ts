import {describe, expect, it} from 'vitest'
import {UserError} from '../../src/core/errors.js'
import {createOptimizer, OPTIMIZER_NAMES, type OptimizerConfig} from '../../src/core/optim/index.js'

// Configs arrive from JSON files and flags, so the bad ones are not always well typed.
const create = (config: Record<string, unknown>) => createOptimizer({name: 'adam', lr: 0.001, ...config}, [1])

describe('optimizer config', () => {
  it('creates every named optimizer', () => {
    expect(OPTIMIZER_NAMES).toEqual(['sgd', 'momentum', 'adagrad', 'rmsprop', 'adam', 'adamw'])
    for (const name of OPTIMIZER_NAMES) expect(createOptimizer({name, lr: 0.1}, [3]).config.name).toBe(name)
  })

  it.each([
    [{name: 'lamb'}, /unknown optimizer 'lamb'; use one of sgd, momentum/],
    [{lr: -0.1}, /lr is -0.1; use a number >= 0/],
    [{lr: Number.NaN}, /lr is null/],
    [{lr: '0.1'}, /lr is "0.1"/],
    [{beta1: 1}, /beta1 is 1; use a number in \[0, 1\)/],
    [{beta2: -0.5}, /beta2 is -0.5/],
    [{momentum: 1.5}, /momentum is 1.5/],
    [{rho: 1}, /rho is 1/],
    [{eps: 0}, /eps is 0; use a number > 0/],
    [{weightDecay: -1}, /weightDecay is -1/],
    [{clipNorm: -1}, /clipNorm is -1/],
    [{warmupSteps: 2.5}, /warmupSteps is 2.5; use a whole number/],
    [{nesterov: 'yes'}, /nesterov is "yes"; use true or false/],
    [{schedule: {type: 'exponential'}}, /unknown learning-rate schedule 'exponential'/],
    [{schedule: {type: 'step', stepSize: 0, gamma: 0.5}}, /stepSize is 0/],
    [{schedule: {type: 'step', stepSize: 2, gamma: 0}}, /gamma is 0/],
    [{schedule: {type: 'cosine', totalSteps: 0}}, /totalSteps is 0/],
    [{schedule: {type: 'cosine', totalSteps: 10, minLr: 0.01}}, /minLr is 0.01; use a number in \[0, lr = 0.001\]/],
    [{name: 'sgd', nesterov: true}, /nesterov needs a momentum above 0/],
  ])('rejects %j', (config, message) => {
    expect(() => create(config)).toThrow(UserError)
    expect(() => create(config)).toThrow(message)
  })

  it('keeps its own copy of the config', () => {
    const config: OptimizerConfig = {name: 'sgd', lr: 0.1}
    const opt = createOptimizer(config, [1])
    config.lr = 5
    expect(opt.currentLr()).toBe(0.1)
  })
})

import {describe, expect, it} from 'vitest'
import {UserError} from '../../src/core/errors.js'
import {createOptimizer, type OptimizerConfig} from '../../src/core/optim/index.js'

const LENGTHS = [7, 3, 1]

/** Deterministic pseudo-random floats in [-1, 1) so the runs exercise all slots with varied values. */
function randomTensors(seed: number): Float32Array[] {
  let s = seed
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 31 - 1
  return LENGTHS.map((n) => Float32Array.from({length: n}, next))
}

function bytesOf(tensors: Float32Array[]): number[] {
  return tensors.flatMap((t) => Array.from(new Uint8Array(t.buffer, t.byteOffset, t.byteLength)))
}

const CONFIGS: OptimizerConfig[] = [
  {name: 'sgd', lr: 0.1, weightDecay: 0.01},
  {name: 'momentum', lr: 0.1, nesterov: true, clipNorm: 0.5},
  {name: 'adagrad', lr: 0.1},
  {name: 'rmsprop', lr: 0.01, momentum: 0.9},
  {name: 'adam', lr: 0.01, weightDecay: 0.01, schedule: {type: 'cosine', totalSteps: 6}},
  {name: 'adamw', lr: 0.01, warmupSteps: 4, schedule: {type: 'step', stepSize: 2, gamma: 0.5}},
]

describe('optimizer state', () => {
  for (const config of CONFIGS) {
    it(`${config.name}: 3 steps, save, restore into a fresh optimizer, 3 more = 6 uninterrupted steps, bit for bit`, () => {
      const grads = Array.from({length: 6}, (_, k) => randomTensors(100 + k))
      const run = (params: Float32Array[], opt: ReturnType<typeof createOptimizer>, from: number, to: number) => {
        for (let k = from; k < to; k++)
          opt.step(
            params,
            grads[k].map((g) => g.slice()),
          )
      }

      const straight = randomTensors(1)
      run(straight, createOptimizer(config, LENGTHS), 0, 6)

      const resumed = randomTensors(1)
      const first = createOptimizer(config, LENGTHS)
      run(resumed, first, 0, 3)
      const saved = first.getState()
      run(
        resumed.map((p) => p.slice()),
        first,
        3,
        4,
      ) // later steps must not change the saved state
      const second = createOptimizer(config, LENGTHS)
      second.setState(saved)
      expect(second.stepCount).toBe(3)
      run(resumed, second, 3, 6)

      expect(bytesOf(resumed)).toEqual(bytesOf(straight))
      expect(second.stepCount).toBe(6)
    })
  }

  it('state holds the name, the step and one slot array per tensor', () => {
    const opt = createOptimizer({name: 'adam', lr: 0.1}, [2, 1])
    opt.step([new Float32Array(2), new Float32Array(1)], [Float32Array.from([1, 2]), Float32Array.from([3])])
    const state = opt.getState()
    expect(state.name).toBe('adam')
    expect(state.step).toBe(1)
    expect(Object.keys(state.slots).sort()).toEqual(['expAvg', 'expAvgSq'])
    expect(state.slots.expAvg.map((a) => Array.from(a))).toEqual([[0.1, 0.2].map(Math.fround), [0.3].map(Math.fround)])
  })

  it('rejects state from another optimizer or another model', () => {
    const adamState = createOptimizer({name: 'adam', lr: 0.1}, [2]).getState()
    expect(() => createOptimizer({name: 'adamw', lr: 0.1}, [2]).setState(adamState)).toThrow(UserError)
    expect(() => createOptimizer({name: 'adam', lr: 0.1}, [3]).setState(adamState)).toThrow(/tensor sizes \[2\].*\[3\]/)
    const rmsState = createOptimizer({name: 'rmsprop', lr: 0.1}, [2]).getState()
    expect(() => createOptimizer({name: 'rmsprop', lr: 0.1, momentum: 0.9}, [2]).setState(rmsState)).toThrow(/slots/)
  })

  it('step() rejects tensors that do not match the creation lengths', () => {
    const opt = createOptimizer({name: 'sgd', lr: 0.1}, [2])
    expect(() => opt.step([new Float32Array(3)], [new Float32Array(3)])).toThrow(/params\[0\] has 3 values, expected 2/)
    expect(() => opt.step([], [])).toThrow(/0 params tensors/)
  })
})

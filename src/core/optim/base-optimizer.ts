import {UserError} from '../errors.js'
import {clipGradNorm} from './clip-grad-norm.js'
import type {Optimizer, OptimizerConfig, OptimizerState} from './optimizer.js'
import {scheduledLr} from './schedule.js'

/**
 * What every optimizer shares: step counting, schedule, clipping and the state of its slots
 * (one zero-initialized Float32Array per parameter tensor per slot name). A subclass only writes
 * the per-tensor update rule.
 */
export abstract class BaseOptimizer implements Optimizer {
  readonly config: OptimizerConfig
  protected readonly slots: Record<string, Float32Array[]>
  private readonly paramLengths: readonly number[]
  private steps = 0

  protected constructor(config: OptimizerConfig, paramLengths: readonly number[], slotNames: readonly string[]) {
    for (const n of paramLengths) {
      if (!Number.isInteger(n) || n < 0) throw new Error(`parameter length must be a non-negative integer, got ${n}`)
    }
    // A private copy, so a caller editing its config object later cannot change a running optimizer.
    this.config = structuredClone(config)
    this.paramLengths = [...paramLengths]
    this.slots = {}
    for (const name of slotNames) this.slots[name] = paramLengths.map((n) => new Float32Array(n))
  }

  get stepCount(): number {
    return this.steps
  }

  currentLr(): number {
    return scheduledLr(this.config, this.steps)
  }

  step(params: Float32Array[], grads: Float32Array[]): void {
    this.checkTensors('params', params)
    this.checkTensors('grads', grads)
    if (this.config.clipNorm) clipGradNorm(grads, this.config.clipNorm)
    const lr = this.currentLr()
    this.steps++
    for (let k = 0; k < params.length; k++) this.updateTensor(k, params[k], grads[k], lr, this.steps)
  }

  /**
   * Applies one update to parameter tensor `index`. `t` is the 1-based number of this update
   * (what torch calls `step` in its bias corrections).
   */
  protected abstract updateTensor(index: number, param: Float32Array, grad: Float32Array, lr: number, t: number): void

  getState(): OptimizerState {
    const slots: Record<string, Float32Array[]> = {}
    for (const [name, arrays] of Object.entries(this.slots)) slots[name] = arrays.map((a) => a.slice())
    return {name: this.config.name, step: this.steps, slots}
  }

  /** Throws UserError when the state belongs to another optimizer or model (a checkpoint from another run). */
  setState(state: OptimizerState): void {
    if (state.name !== this.config.name) {
      throw new UserError(
        `the saved optimizer state is for '${state.name}' but this run uses '${this.config.name}'; resume with the same optimizer`,
      )
    }
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new UserError(
        `the saved optimizer state has step ${state.step}; the checkpoint is damaged, start a fresh run`,
      )
    }
    const expected = Object.keys(this.slots).sort().join(',')
    const found = Object.keys(state.slots).sort().join(',')
    if (expected !== found) {
      throw new UserError(
        `the saved optimizer state has slots [${found}] where '${this.config.name}' needs [${expected}]; resume with the same optimizer settings`,
      )
    }
    for (const [name, arrays] of Object.entries(state.slots)) {
      const lengths = arrays.map((a) => a.length).join(',')
      if (lengths !== this.paramLengths.join(',')) {
        throw new UserError(
          `the saved optimizer state '${name}' has tensor sizes [${lengths}], the model has [${this.paramLengths.join(',')}]; resume with the same model`,
        )
      }
    }
    for (const [name, arrays] of Object.entries(state.slots)) {
      arrays.forEach((a, k) => this.slots[name][k].set(a))
    }
    this.steps = state.step
  }

  private checkTensors(what: string, tensors: Float32Array[]): void {
    if (tensors.length !== this.paramLengths.length) {
      throw new Error(`optimizer step got ${tensors.length} ${what} tensors, expected ${this.paramLengths.length}`)
    }
    for (let k = 0; k < tensors.length; k++) {
      if (tensors[k].length !== this.paramLengths[k]) {
        throw new Error(
          `optimizer step: ${what}[${k}] has ${tensors[k].length} values, expected ${this.paramLengths[k]}`,
        )
      }
    }
  }
}

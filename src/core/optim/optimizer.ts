/**
 * The optimizer contract shared by every engine. Updates run in plain TypeScript over Float32Arrays:
 * the prototype measured the JS update and the in-graph update within noise of each other
 * (../shared/reference/ort-training/round2/RESULTS.md §2), and a JS update keeps optimizers
 * engine-independent (ONNX Runtime and TensorFlow.js share them).
 */

export type OptimizerName = 'sgd' | 'momentum' | 'adagrad' | 'rmsprop' | 'adam' | 'adamw'

export type ScheduleConfig =
  | {type: 'constant'}
  /** lr * gamma^floor(step / stepSize) */
  | {type: 'step'; stepSize: number; gamma: number}
  /** Cosine decay from lr to minLr over totalSteps. */
  | {type: 'cosine'; totalSteps: number; minLr?: number}

export interface OptimizerConfig {
  name: OptimizerName
  lr: number
  /** SGD momentum coefficient ('momentum' optimizer; also RMSprop's momentum). */
  momentum?: number
  nesterov?: boolean
  beta1?: number
  beta2?: number
  eps?: number
  /** L2 penalty added to the gradient (SGD, AdaGrad, RMSprop, Adam); decoupled decay for AdamW. */
  weightDecay?: number
  /** RMSprop smoothing constant (rho / alpha). */
  rho?: number
  /** Clip gradients by global L2 norm before the update when > 0. */
  clipNorm?: number
  schedule?: ScheduleConfig
  /** Linear warm-up from 0 to the scheduled lr over this many steps. */
  warmupSteps?: number
}

/** Serialisable optimizer state: scalars plus one slot array per parameter tensor per slot name. */
export interface OptimizerState {
  name: OptimizerName
  step: number
  slots: Record<string, Float32Array[]>
}

export interface Optimizer {
  readonly config: OptimizerConfig
  /** Number of updates applied so far. */
  readonly stepCount: number
  /** Learning rate the next step() will use (after schedule and warm-up). */
  currentLr(): number
  /** Update params in place from grads (same order and lengths as at creation). Grads may be modified (clipping). */
  step(params: Float32Array[], grads: Float32Array[]): void
  getState(): OptimizerState
  setState(state: OptimizerState): void
}

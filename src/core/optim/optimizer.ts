/**
 * The optimizer contract shared by every engine. Updates run in plain TypeScript over Float32Arrays, so
 * one implementation serves ONNX Runtime and TensorFlow.js alike; `npm run bench` times whole training
 * steps, this update included.
 */

export type OptimizerName = 'sgd' | 'momentum' | 'adagrad' | 'rmsprop' | 'adam' | 'adamw'

export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['sgd', 'momentum', 'adagrad', 'rmsprop', 'adam', 'adamw']

export type ScheduleConfig =
  | {type: 'constant'}
  /** lr * gamma^floor(step / stepSize) */
  | {type: 'step'; stepSize: number; gamma: number}
  /** Cosine decay from lr to minLr over totalSteps. */
  | {type: 'cosine'; totalSteps: number; minLr?: number}

export interface OptimizerConfig {
  name: OptimizerName
  lr: number
  /** SGD momentum coefficient ('momentum' optimizer, default 0.9; also RMSprop's momentum, default 0). */
  momentum?: number
  nesterov?: boolean
  /** Adam/AdamW betas, defaults 0.9 and 0.999. */
  beta1?: number
  beta2?: number
  /** Defaults as torch: 1e-10 for AdaGrad, 1e-8 otherwise. */
  eps?: number
  /**
   * L2 penalty added to the gradient (SGD, AdaGrad, RMSprop, Adam; default 0); decoupled decay for AdamW
   * (default 0.01, as torch).
   */
  weightDecay?: number
  /** RMSprop smoothing constant (rho / alpha; default 0.99, as torch). */
  rho?: number
  /** Clip gradients by global L2 norm before the update when > 0. */
  clipNorm?: number
  schedule?: ScheduleConfig
  /**
   * Linear warm-up from 0 to the scheduled lr over this many steps: update k (0-based) uses (k+1)/warmupSteps
   * of it.
   */
  warmupSteps?: number
}

/** Serializable optimizer state: scalars plus one slot array per parameter tensor per slot name. */
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

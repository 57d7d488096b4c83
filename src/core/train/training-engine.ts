import type {NamedTensor} from '../model/parameters.js'
import type {Optimizer} from '../optim/optimizer.js'

export interface BatchResult {
  /** Mean loss over the batch. */
  loss: number
  /** Accuracy (classification) or mean absolute error (regression). */
  metric: number
}

/** What the training loop needs from an engine (ONNX Runtime or TensorFlow.js). */
export interface TrainingEngine {
  step(inputs: Uint8Array | Float32Array, targets: Uint8Array | Float32Array, count: number): Promise<BatchResult>
  evaluate(
    inputs: Uint8Array | Float32Array,
    targets: Uint8Array | Float32Array,
    count: number,
    batchSize: number,
  ): Promise<BatchResult>
  predict(inputs: Uint8Array | Float32Array, count: number, batchSize: number): Promise<Float32Array>
  getWeights(): NamedTensor[]
  setWeights(weights: NamedTensor[]): void
  /**
   * The optimizer the engine steps. Its state (for checkpoints and resume) includes the step count, which also
   * fixes the dropout masks of the following steps.
   */
  readonly optimizer: Optimizer
  release(): Promise<void> | void
}

import type {NamedTensor} from '../model/parameters.js'
import type {ModelSpec} from '../model/spec.js'
import type {Optimizer, OptimizerConfig} from '../optim/index.js'
import type {BatchInputs, BatchTargets} from './batch-checks.js'
import type {LossConfig} from './loss-config.js'
import type {MetricName} from './metrics.js'

export interface TrainingEngineOptions {
  spec: ModelSpec
  loss: LossConfig
  optimizer: OptimizerConfig
  /** Seeds the initial weights and the dropout masks. */
  seed: number
  /** Compute threads; default: all cores. Same seed and threads give identical weights. */
  threads?: number
  /** Default: accuracy for classification losses, mae for regression losses. */
  metric?: MetricName
  /** Hears what the user should know that does not stop the run (TensorFlow.js running in pure JavaScript). */
  onWarning?: (message: string) => void
}

/** Creates an engine: what the train command keeps per `--engine` name. */
export type TrainingEngineFactory = (options: TrainingEngineOptions) => Promise<TrainingEngine>

export interface BatchResult {
  /** Mean loss over the batch. */
  loss: number
  /** Accuracy (classification) or mean absolute error (regression). */
  metric: number
}

/**
 * What the training loop needs from an engine (ONNX Runtime or TensorFlow.js). Every engine keeps the
 * weights in the same layout (NCHW/OIHW) and updates them with the same optimizer, so checkpoints are
 * interchangeable and either engine continues the other's run. Calls must not overlap (await each one).
 */
export interface TrainingEngine {
  /** Which engine and backend trains, for the start-of-run line, e.g. 'onnxruntime-node (CPU), 4 threads'. */
  readonly description: string
  /** One optimizer step on n examples; returns the batch's loss and metric before the update. */
  step(inputs: BatchInputs, targets: BatchTargets, count: number): Promise<BatchResult>
  /** Mean loss and metric over n examples in inference mode, in batches of batchSize. */
  evaluate(inputs: BatchInputs, targets: BatchTargets, count: number, batchSize: number): Promise<BatchResult>
  /** The logits (network output before a final softmax) for n examples, [n * outputs]. */
  predict(inputs: BatchInputs, count: number, batchSize: number): Promise<Float32Array>
  /** Copies of every parameter tensor (trainable and moving statistics), in model.parameters order. */
  getWeights(): NamedTensor[]
  /** Replaces every parameter tensor; names and shapes must be exactly the model's. */
  setWeights(weights: NamedTensor[]): void
  /**
   * The optimizer the engine steps. Its state (for checkpoints and resume) includes the step count, which also
   * fixes the dropout masks of the following steps.
   */
  readonly optimizer: Optimizer
  release(): Promise<void> | void
}

/** The ONNX Runtime engine's public API: what commands import. */
export {Trainer, type LossAndMetric, type TrainerOptions} from './trainer.js'
export {
  buildInferenceModel,
  LOGITS_OUTPUT,
  PROBABILITIES_OUTPUT,
  type InferenceModelOptions,
} from './inference-model.js'
export {LOSS_NAMES, type LossConfig, type LossName} from './losses/index.js'
export {METRIC_NAMES, defaultMetric, type MetricName} from './metrics.js'
export type {BatchInputs, BatchTargets} from './batch-tensors.js'

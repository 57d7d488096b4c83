/** The ONNX Runtime engine's public API: what other modules import. */
export {Trainer} from './trainer.js'
export {
  buildInferenceModel,
  LOGITS_OUTPUT,
  PROBABILITIES_OUTPUT,
  type InferenceModelOptions,
} from './inference-model.js'
export {tokenFeeds} from './batch-tensors.js'
export {ATTENTION_MASK_NAME, INPUT_IDS_NAME} from './forward-pass.js'

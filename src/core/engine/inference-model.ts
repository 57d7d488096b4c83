import {UserError} from '../errors.js'
import type {NamedTensor} from '../model/parameters.js'
import {resolveModel} from '../model/resolve-model.js'
import type {InputType, ModelSpec} from '../model/spec.js'
import {GraphBuilder} from '../onnx/graph-builder.js'
import {BATCH_DIM, emitForwardPass} from './forward-pass.js'

export const LOGITS_OUTPUT = 'logits'
export const PROBABILITIES_OUTPUT = 'probabilities'

export interface InferenceModelOptions {
  /**
   * Adds a `probabilities` output: softmax or sigmoid of the logits. Default: 'softmax' when the spec
   * ends with a softmax layer, otherwise no probabilities output.
   */
  probabilities?: 'softmax' | 'sigmoid' | 'none'
  /** Element type of `input`; defaults to the spec's. The in-graph scaling stays that of the spec. */
  inputType?: InputType
  /**
   * true (default): the graph scales uint8 input by 1/255 and applies the spec's normalize, so it takes
   * raw values. false: `input` is float32 holding what the first layer sees; the client normalizes.
   */
  normalizeInput?: boolean
  /** A fixed batch size for `input` and the outputs; default: the symbolic dimension 'batch'. */
  batchSize?: number
  /** Stored as ONNX metadata_props. */
  metadata?: Record<string, string>
  producerVersion?: string
}

/**
 * A self-contained ONNX model (opset 17) for export and evaluation: input `input` [batch, ...inputShape]
 * (token models: `input_ids` and `attention_mask`, int64 [batch, sequence]),
 * output `logits` [batch, outputs] (the network output before a final softmax) and optionally
 * `probabilities`. Weights are baked in as initializers, which ONNX Runtime can pre-pack once instead of
 * taking them as inputs on every run. Batch norm uses the moving statistics; dropout is absent.
 */
export function buildInferenceModel(
  spec: ModelSpec,
  weights: NamedTensor[],
  options: InferenceModelOptions = {},
): Uint8Array {
  const model = resolveModel(spec)
  const normalizeInput = options.normalizeInput ?? true
  if (!normalizeInput && options.inputType === 'uint8')
    throw new Error('buildInferenceModel: uint8 input needs normalizeInput')
  if (options.batchSize !== undefined && !(Number.isInteger(options.batchSize) && options.batchSize > 0)) {
    throw new UserError(`batch size must be a positive integer, got ${options.batchSize}`)
  }
  const batchDim = options.batchSize ?? BATCH_DIM
  const byName = new Map(weights.map((w) => [w.name, w]))
  const g = new GraphBuilder('mlctl-inference')
  const forward = emitForwardPass(g, model, 'inference', {
    inputType: normalizeInput ? (options.inputType ?? model.inputType) : 'float32',
    normalizeInput,
    batchDim,
    exportedTokenInputs: true,
    includeFinalSoftmax: false,
    parameterTensor: (p) => {
      const weight = byName.get(p.name)
      if (!weight) throw new UserError(`the weights have no tensor ${p.name}; they do not belong to this model spec`)
      if (weight.shape.join('x') !== p.shape.join('x') || weight.data.length !== p.shape.reduce((a, b) => a * b, 1)) {
        throw new UserError(`weight ${p.name} has shape [${weight.shape}] but the model needs [${p.shape}]`)
      }
      return g.initializer(p.name, p.shape, weight.data)
    },
  })
  const outputShape = [batchDim, model.outputs]
  g.output(forward.output, LOGITS_OUTPUT, 'float32', outputShape)
  const probabilities = options.probabilities ?? (model.endsWithSoftmax ? 'softmax' : 'none')
  if (probabilities !== 'none') {
    const op =
      probabilities === 'softmax' ? g.node('Softmax', [forward.output], {axis: 1}) : g.node('Sigmoid', [forward.output])
    g.output(op, PROBABILITIES_OUTPUT, 'float32', outputShape)
  }
  return g.toBytes({producerVersion: options.producerVersion, metadata: options.metadata})
}

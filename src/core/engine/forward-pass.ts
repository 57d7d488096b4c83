import type {ParameterInfo} from '../model/parameters.js'
import type {ResolvedLayer, ResolvedModel} from '../model/resolve-model.js'
import type {InputType} from '../model/spec.js'
import type {Dim, GraphBuilder} from '../onnx/graph-builder.js'
import {emitInputNormalization} from './input-normalization.js'
import {toFloat} from './graph-ops.js'
import type {GraphMode, LayerContext, LayerEmission, LayerParameters} from './layer-emitter.js'
import {emitLayer} from './layers/index.js'

export const INPUT_NAME = 'input'
export const BATCH_DIM = 'batch'
/** Exported token models take ids and mask as Hugging Face models do: int64 [batch, sequence]. */
export const INPUT_IDS_NAME = 'input_ids'
export const ATTENTION_MASK_NAME = 'attention_mask'
export const SEQUENCE_DIM = 'sequence'

export interface ForwardPass {
  /** The network output: the logits when the final softmax was left out; in target units with denormalize. */
  output: string
  /** The emitted layers and their emissions, in order. */
  layers: ResolvedLayer[]
  emissions: LayerEmission[]
}

/**
 * Declares the `input` graph input and emits every layer's forward nodes. `parameterTensor` names the
 * tensor holding each parameter (a graph input while training, an initializer in exported models).
 * A final softmax layer is left out unless `includeFinalSoftmax`. With `normalizeInput: false` the
 * input is fed to the first layer as it is (the caller declares it float32 and normalizes outside the
 * graph); `batchDim` fixes the batch dimension (default: symbolic).
 *
 * Token models (inputType int32) take `input` int32 [batch, T] and mask out positions holding padId; with
 * `exportedTokenInputs` they take `input_ids` and `attention_mask` (int64 [batch, sequence], any length),
 * the mask as given.
 */
export function emitForwardPass(
  g: GraphBuilder,
  model: ResolvedModel,
  mode: GraphMode,
  options: {
    inputType: InputType
    includeFinalSoftmax: boolean
    parameterTensor: (parameter: ParameterInfo) => string
    normalizeInput?: boolean
    batchDim?: Dim
    exportedTokenInputs?: boolean
  },
): ForwardPass {
  const batchDim = options.batchDim ?? BATCH_DIM
  let x: string
  let sequenceMask: LayerContext['sequenceMask'] = () => {
    throw new Error('a sequence mask was asked for in a model without token inputs')
  }
  if (model.inputType === 'int32') {
    const tokens = emitTokenInputs(g, model, batchDim, options.exportedTokenInputs ?? false)
    x = tokens.ids
    sequenceMask = tokens.sequenceMask
  } else {
    const input = g.input(INPUT_NAME, options.inputType, [batchDim, ...model.inputShape])
    x = options.normalizeInput === false ? input : emitInputNormalization(g, input, options.inputType, model)
  }
  const context: LayerContext = {
    sequenceMask,
    parameters: (layer) => {
      const params: LayerParameters = {}
      for (const parameter of layer.parameters) {
        // training uses batch statistics, so the moving statistics are no input there
        if (mode === 'inference' || parameter.trainable) params[parameter.role] = options.parameterTensor(parameter)
      }
      return params
    },
  }
  const layers = model.endsWithSoftmax && !options.includeFinalSoftmax ? model.layers.slice(0, -1) : model.layers
  const emissions = layers.map((layer) => {
    const emission = emitLayer(g, x, layer, layer.branches ? {} : context.parameters(layer), mode, context)
    x = emission.output
    return emission
  })
  const denormalize = model.spec.denormalize
  if (denormalize) x = g.node('Add', [g.node('Mul', [x, g.scalar(denormalize.std)]), g.scalar(denormalize.mean)])
  return {output: x, layers, emissions}
}

function emitTokenInputs(
  g: GraphBuilder,
  model: ResolvedModel,
  batchDim: Dim,
  exported: boolean,
): {ids: string; sequenceMask: LayerContext['sequenceMask']} {
  const [length] = model.inputShape
  let ids: string
  let mask: string
  if (exported) {
    ids = g.input(INPUT_IDS_NAME, 'int64', [batchDim, SEQUENCE_DIM])
    mask = toFloat(g, g.input(ATTENTION_MASK_NAME, 'int64', [batchDim, SEQUENCE_DIM]))
  } else {
    ids = g.input(INPUT_NAME, 'int32', [batchDim, length])
    mask = toFloat(g, g.node('Not', [g.node('Equal', [ids, g.int32s([model.spec.padId ?? 0])])]))
  }
  return {ids, sequenceMask: () => mask}
}

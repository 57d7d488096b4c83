import type {ParameterInfo} from '../model/parameters.js'
import type {ResolvedLayer, ResolvedModel} from '../model/resolve-model.js'
import type {InputType} from '../model/spec.js'
import type {Dim, GraphBuilder} from '../onnx/graph-builder.js'
import {emitInputNormalization} from './input-normalization.js'
import type {GraphMode, LayerEmission, LayerParameters} from './layer-emitter.js'
import {emitLayer} from './layers/index.js'

export const INPUT_NAME = 'input'
export const BATCH_DIM = 'batch'

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
  },
): ForwardPass {
  const input = g.input(INPUT_NAME, options.inputType, [options.batchDim ?? BATCH_DIM, ...model.inputShape])
  let x = options.normalizeInput === false ? input : emitInputNormalization(g, input, options.inputType, model)
  const layers = model.endsWithSoftmax && !options.includeFinalSoftmax ? model.layers.slice(0, -1) : model.layers
  const emissions = layers.map((layer) => {
    const params: LayerParameters = {}
    for (const parameter of layer.parameters) {
      // training uses batch statistics, so the moving statistics are no input there
      if (mode === 'inference' || parameter.trainable) params[parameter.role] = options.parameterTensor(parameter)
    }
    const emission = emitLayer(g, x, layer, params, mode)
    x = emission.output
    return emission
  })
  const denormalize = model.spec.denormalize
  if (denormalize) x = g.node('Add', [g.node('Mul', [x, g.scalar(denormalize.std)]), g.scalar(denormalize.mean)])
  return {output: x, layers, emissions}
}

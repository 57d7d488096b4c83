import type {GraphMode} from '../../../src/core/engine/layer-emitter.js'
import type {ResolvedModel} from '../../../src/core/model/resolve-model.js'
import {referenceLayer, type Params64} from './reference-layers.js'

/**
 * Float64 forward pass of a whole model: the input scaling and normalization, then every layer (a final
 * softmax only when asked). `noise` holds each dropout layer's noise by layer name.
 */
export function referenceForward(
  model: ResolvedModel,
  input: ArrayLike<number>,
  batch: number,
  weights: Map<string, Float64Array>,
  mode: GraphMode,
  options: {includeFinalSoftmax: boolean; noise?: Map<string, Float64Array>},
): Float64Array {
  const scale = model.inputType === 'uint8' ? 1 / 255 : 1
  const normalize = model.spec.normalize
  const perChannel = model.inputShape.slice(1).reduce((a, b) => a * b, 1)
  let x: Float64Array = Float64Array.from(input, (v, i) => {
    if (!normalize) return v * scale
    const c = Math.floor(i / perChannel) % model.inputShape[0]
    const pick = (values: number[]) => values[values.length === 1 ? 0 : c]
    return (v * scale - pick(normalize.mean)) / pick(normalize.std)
  })
  const layers = model.endsWithSoftmax && !options.includeFinalSoftmax ? model.layers.slice(0, -1) : model.layers
  for (const layer of layers) {
    const params: Params64 = {}
    for (const p of layer.parameters) params[p.role] = weights.get(p.name)
    x = referenceLayer(layer, x, batch, params, mode, options.noise?.get(layer.name))
  }
  return x
}

import type {ResolvedModel} from '../model/resolve-model.js'
import type {InputType} from '../model/spec.js'
import {foldStandardization, inputStandardization} from '../model/standardization.js'
import type {GraphBuilder} from '../onnx/graph-builder.js'
import {toFloat} from './graph-ops.js'

/**
 * Turns the raw input tensor into the float32 tensor the first layer sees, inside the graph so that no
 * per-pixel JavaScript loop touches the data: uint8 values are divided by 255, then the spec's optional
 * per-channel (x - mean) / std is applied, folded into one multiply and one add.
 */
export function emitInputNormalization(
  g: GraphBuilder,
  input: string,
  inputType: InputType,
  model: ResolvedModel,
): string {
  const x = inputType === 'uint8' ? toFloat(g, input) : input
  const normalize = model.spec.normalize
  const standardization = inputStandardization(inputType, normalize)
  if (!normalize) return standardization.scale === 1 ? x : g.node('Mul', [x, g.scalar(standardization.scale)])
  const channels = Math.max(normalize.mean.length, normalize.std.length)
  const {multiplier, offset} = foldStandardization(standardization, channels)
  // per-channel constants broadcast over [N, C, H, W] as [C, 1, 1], over [N, F] as [F]
  const shape = channels === 1 ? [] : model.inputShape.length === 3 ? [channels, 1, 1] : [channels]
  return g.node('Add', [g.node('Mul', [x, g.floatConstant(shape, multiplier)]), g.floatConstant(shape, offset)])
}

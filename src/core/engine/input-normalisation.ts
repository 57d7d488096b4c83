import type {ResolvedModel} from '../model/resolve-model.js'
import type {InputType} from '../model/spec.js'
import type {GraphBuilder} from '../onnx/graph-builder.js'
import {toFloat} from './graph-ops.js'

/**
 * Turns the raw input tensor into the float32 tensor the first layer sees, inside the graph so that no
 * per-pixel JavaScript loop touches the data: uint8 values are divided by 255, then the spec's optional
 * per-channel (x - mean) / std is applied, folded into one multiply and one add.
 */
export function emitInputNormalisation(
  g: GraphBuilder,
  input: string,
  inputType: InputType,
  model: ResolvedModel,
): string {
  const scale = inputType === 'uint8' ? 1 / 255 : 1
  const x = inputType === 'uint8' ? toFloat(g, input) : input
  const normalize = model.spec.normalize
  if (!normalize) return scale === 1 ? x : g.node('Mul', [x, g.scalar(scale)])
  const channels = Math.max(normalize.mean.length, normalize.std.length)
  const pick = (values: number[], c: number) => values[values.length === 1 ? 0 : c]
  const multiplier = Array.from({length: channels}, (_, c) => scale / pick(normalize.std, c))
  const offset = Array.from({length: channels}, (_, c) => -pick(normalize.mean, c) / pick(normalize.std, c))
  // per-channel constants broadcast over [N, C, H, W] as [C, 1, 1], over [N, F] as [F]
  const shape = channels === 1 ? [] : model.inputShape.length === 3 ? [channels, 1, 1] : [channels]
  return g.node('Add', [g.node('Mul', [x, g.floatConstant(shape, multiplier)]), g.floatConstant(shape, offset)])
}

import type {FlattenSpec} from '../../model/spec.js'
import type {LayerEmitter} from '../layer-emitter.js'

/** [N, C, H, W] → [N, C*H*W] in NCHW order; a flat input passes through without a node. */
export const emitFlatten: LayerEmitter<FlattenSpec> = (g, x, layer, _params, mode) => {
  if (layer.inputShape.length === 1)
    return {output: x, backward: mode === 'training' ? (dy) => ({params: {}, dx: dy}) : undefined}
  const output = g.node('Flatten', [x], {axis: 1})
  if (mode === 'inference') return {output}
  return {output, backward: (dy) => ({params: {}, dx: g.node('Reshape', [dy, g.int64s([0, ...layer.inputShape])])})}
}

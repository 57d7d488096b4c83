import type {DropoutSpec} from '../../model/spec.js'
import {toFloat} from '../graph-ops.js'
import type {LayerEmitter} from '../layer-emitter.js'

/**
 * Inverted dropout: in training, keep an activation where its noise >= rate and scale kept ones by
 * 1 / (1 - rate); in inference, pass through. The uniform noise is a graph input the trainer fills from
 * a generator seeded by (seed, step), so a resumed run draws the same masks as an uninterrupted one
 * (RandomUniformLike would repeat its sequence in every new session and cannot be re-seeded per step).
 */
export const emitDropout: LayerEmitter<DropoutSpec> = (g, x, layer, _params, mode) => {
  const rate = layer.spec.rate
  if (mode === 'inference') return {output: x}
  if (rate === 0) return {output: x, backward: (dy) => ({params: {}, dx: dy})}
  const noiseInput = g.input(`${layer.name}/noise`, 'float32', ['batch', ...layer.inputShape])
  const keep = toFloat(g, g.node('GreaterOrEqual', [noiseInput, g.scalar(rate)]))
  const scale = g.node('Mul', [keep, g.scalar(1 / (1 - rate))])
  return {
    output: g.node('Mul', [x, scale]),
    backward: (dy) => ({params: {}, dx: g.node('Mul', [dy, scale])}),
    noiseInput,
  }
}

import {deriveSeed, Random, RandomStream} from '../model/random.js'
import {sizeOf} from '../model/parameters.js'
import type {ResolvedModel} from '../model/resolve-model.js'
import {chwToHwc, imageOrderOfInputs} from './activation-layout.js'

/**
 * What each dropout layer multiplies its input by in training step `step`: 0 where the layer's noise is
 * below the rate, 1 / (1 - rate) elsewhere (inverted dropout), by layer index, in NHWC order.
 * The noise is drawn as engine/dropout-noise.ts draws it (the same seeded stream per step, layers in the
 * same order, NCHW), so both engines drop the same activations and a resumed run draws the same masks.
 */
export function dropoutScales(
  model: ResolvedModel,
  seed: number,
  step: number,
  count: number,
): Map<number, Float32Array> {
  const random = new Random(deriveSeed(seed, RandomStream.dropout, step))
  const imageOrder = imageOrderOfInputs(model)
  const scales = new Map<number, Float32Array>()
  for (const layer of model.layers) {
    if (layer.spec.type !== 'dropout' || layer.spec.rate === 0) continue
    const rate = Math.fround(layer.spec.rate)
    const kept = Math.fround(1 / (1 - layer.spec.rate))
    const noise = random.fill(new Float32Array(count * sizeOf(layer.inputShape)))
    const scale = noise.map((u) => (u >= rate ? kept : 0))
    const image = imageOrder[layer.index]
    scales.set(layer.index, image ? chwToHwc(scale, count, image) : scale)
  }
  return scales
}

import type {ResolvedModel} from '../model/resolve-model.js'
import {flattenedImageInputs} from '../tfjs-format/layers-model.js'

/**
 * The TF.js engine computes in NHWC (see forward-pass.ts); the engine interface and the noise that
 * dropout thresholds are in NCHW. An image, or a feature vector flattened from one, has its values in
 * [C, H, W] order on one side and [H, W, C] order on the other.
 */

/** For each layer, the [C, H, W] image its input is in NHWC order here (undefined: same order in both layouts). */
export function imageOrderOfInputs(model: ResolvedModel): Array<number[] | undefined> {
  const flattened = flattenedImageInputs(model)
  return model.layers.map((layer, i) => (layer.inputShape.length === 3 ? layer.inputShape : flattened[i]))
}

/** `count` examples, each in [C, H, W] order, rearranged to [H, W, C] order. */
export function chwToHwc(data: Float32Array, count: number, [c, h, w]: number[]): Float32Array {
  const out = new Float32Array(data.length)
  const pixels = h * w
  for (let n = 0; n < count; n++) {
    const base = n * c * pixels
    for (let ch = 0; ch < c; ch++) {
      for (let p = 0; p < pixels; p++) out[base + p * c + ch] = data[base + ch * pixels + p]
    }
  }
  return out
}

/**
 * ONNX (and the engine) store images NCHW and conv kernels OIHW; TensorFlow.js layers store NHWC and HWIO.
 * These permutations move a parameter tensor between the two, in either direction.
 */

/** [O, I, H, W] → [H, W, I, O]. */
export function oihwToHwio(data: Float32Array, [o, i, h, w]: number[]): Float32Array {
  const out = new Float32Array(data.length)
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) out[((y * w + x) * i + b) * o + a] = data[((a * i + b) * h + y) * w + x]
  return out
}

/** [H, W, I, O] → [O, I, H, W]; `shape` is the OIHW shape of the result. */
export function hwioToOihw(data: Float32Array, [o, i, h, w]: number[]): Float32Array {
  const out = new Float32Array(data.length)
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) out[((a * i + b) * h + y) * w + x] = data[((y * w + x) * i + b) * o + a]
  return out
}

/**
 * A dense kernel [inputs, units] whose inputs are a flattened [C, H, W] image: reorder its rows from
 * CHW order (flatten of NCHW) to HWC order (flatten of NHWC), or back when `reverse`.
 */
export function reorderFlattenedRows(
  data: Float32Array,
  [c, h, w]: number[],
  units: number,
  reverse = false,
): Float32Array {
  const out = new Float32Array(data.length)
  for (let ch = 0; ch < c; ch++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const chw = ((ch * h + y) * w + x) * units
        const hwc = ((y * w + x) * c + ch) * units
        const [from, to] = reverse ? [hwc, chw] : [chw, hwc]
        out.set(data.subarray(from, from + units), to)
      }
  return out
}

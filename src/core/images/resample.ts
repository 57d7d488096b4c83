/**
 * Antialiased bilinear resampling, computed as Pillow computes Image.resize(size, BILINEAR, box) on 8-bit
 * images (torchvision's Resize on PIL images calls exactly that): separable, horizontal pass first into an
 * 8-bit intermediate, then vertical; a triangle filter whose support grows with the downscale factor, so
 * every source pixel counts when shrinking; weights in 22-bit fixed point, rounded as Pillow rounds them.
 * Matching it makes mlctl's inputs comparable, within a step of rounding, with a PyTorch pipeline's.
 */
import type {RawImage} from './raw-image.js'

/** A region of the source, in pixels (fractions allowed): what is scaled to the output. */
export interface SourceBox {
  left: number
  top: number
  right: number
  bottom: number
}

const PRECISION_BITS = 32 - 8 - 2
const HALF = 1 << (PRECISION_BITS - 1)
const ONE = 1 << PRECISION_BITS

interface Coefficients {
  /** Per output pixel: the first source pixel and how many follow. */
  first: Int32Array
  count: Int32Array
  /** Per output pixel, `size` fixed-point weights (the unused ones zero). */
  weights: Int32Array
  size: number
}

/** The triangle filter of bilinear interpolation, support 1. */
const triangle = (x: number) => {
  const distance = Math.abs(x)
  return distance < 1 ? 1 - distance : 0
}

/**
 * The last few coefficient tables, by their inputs: a folder's images mostly share a size, and recomputing
 * the table was a tenth of resizing a 28×28 image.
 */
const recent = new Map<string, Coefficients>()
const RECENT_LIMIT = 8

function coefficients(inSize: number, from: number, to: number, outSize: number): Coefficients {
  const key = `${inSize} ${from} ${to} ${outSize}`
  let found = recent.get(key)
  if (!found) {
    found = computeCoefficients(inSize, from, to, outSize)
    if (recent.size >= RECENT_LIMIT) recent.delete(recent.keys().next().value!)
    recent.set(key, found)
  }
  return found
}

function computeCoefficients(inSize: number, from: number, to: number, outSize: number): Coefficients {
  const scale = (to - from) / outSize
  const filterScale = Math.max(scale, 1)
  const support = filterScale
  const size = Math.ceil(support) * 2 + 1
  const first = new Int32Array(outSize)
  const count = new Int32Array(outSize)
  const weights = new Int32Array(outSize * size)
  const k = new Float64Array(size)
  const inverse = 1 / filterScale
  for (let xx = 0; xx < outSize; xx++) {
    const center = from + (xx + 0.5) * scale
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0)
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin
    let total = 0
    for (let x = 0; x < xmax; x++) {
      k[x] = triangle((x + xmin - center + 0.5) * inverse)
      total += k[x]
    }
    let lead = 0
    let used = 0
    for (let x = 0; x < xmax; x++) {
      const w = total === 0 ? k[x] : k[x] / total
      const fixed = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE)
      // zero weights at either end add nothing: leaving them out is exact, and upscaling then reads 2 taps, not 3
      if (fixed === 0 && used === 0) {
        lead++
        continue
      }
      weights[xx * size + used++] = fixed
    }
    while (used > 1 && weights[xx * size + used - 1] === 0) used--
    first[xx] = xmin + lead
    count[xx] = used
  }
  return {first, count, weights, size}
}

/**
 * `image` (8-bit, interleaved) resized to width × height from `box` (default: the whole image), written into
 * `into` when given (at least width × height × channels long), else into a new array. A dimension whose size
 * and box are unchanged is not touched, so the same size gives the same pixels.
 */
export function resampleBilinear(
  image: RawImage,
  width: number,
  height: number,
  box?: SourceBox,
  into?: Uint8Array,
): RawImage {
  const {left, top, right, bottom} = box ?? {left: 0, top: 0, right: image.width, bottom: image.height}
  const channels = image.channels
  const out = into ?? new Uint8Array(width * height * channels)
  const result = {width, height, channels, data: out.subarray(0, width * height * channels)}
  const horizontal = width !== image.width || left !== 0 || right !== width
  const vertical = height !== image.height || top !== 0 || bottom !== height
  if (!horizontal && !vertical) {
    result.data.set(image.data.subarray(0, result.data.length))
    return result
  }
  const rows = coefficients(image.height, top, bottom, height)
  if (!horizontal) {
    resampleColumns(image.data, image.width * channels, rows, 0, result.data)
    return result
  }
  const columns = coefficients(image.width, left, right, width)
  if (!vertical) {
    resampleRows(image, 0, height, width, columns, result.data)
    return result
  }
  // the horizontal pass makes only the rows the vertical pass reads
  const firstRow = rows.first[0]
  const rowCount = rows.first[height - 1] + rows.count[height - 1] - firstRow
  if (intermediate.length < width * rowCount * channels) intermediate = new Uint8Array(width * rowCount * channels)
  resampleRows(image, firstRow, rowCount, width, columns, intermediate)
  resampleColumns(intermediate, width * channels, rows, firstRow, result.data)
  return result
}

/**
 * Scratch space for the intermediate image, reused from call to call: allocating a typed array of a small
 * image's size costs a microsecond or two, a tenth of resizing a 28×28 image (bench:images profile).
 */
let intermediate = new Uint8Array(0)

/**
 * Pillow's clip8. The triangle's weights are never negative, so only the top can be passed, and only when
 * many taps' rounding adds up: two taps sum to at most ONE + 1 and skip it.
 */
const clip8 = (sum: number) => (sum >= ONE * 256 ? 255 : sum >> PRECISION_BITS)

/**
 * The horizontal pass over `rowCount` rows of `image` from `firstRow`. Upscaling (at most two taps per
 * value) runs one output column at a time, each column's two weights loaded once and every row one straight
 * line: half the time of a loop over taps on 28×28 → 32×32. Shrinking (many taps) runs row by row, all
 * channels of a pixel in one pass over its taps, which kept 640×480 RGB → 32×32 40% faster than per column
 * (bench:images profile, a resample microbench).
 */
function resampleRows(
  image: RawImage,
  firstRow: number,
  rowCount: number,
  width: number,
  c: Coefficients,
  out: Uint8Array,
): void {
  if (c.size <= 3) resampleRowsByColumn(image, firstRow, rowCount, width, c, out)
  else resampleRowsByRow(image, firstRow, rowCount, width, c, out)
}

function resampleRowsByColumn(
  image: RawImage,
  firstRow: number,
  rowCount: number,
  width: number,
  c: Coefficients,
  out: Uint8Array,
): void {
  const channels = image.channels
  const inRow = image.width * channels
  const outRow = width * channels
  const data = image.data
  const {first, count, weights, size} = c
  const start = firstRow * inRow
  const end = (firstRow + rowCount) * inRow
  for (let xx = 0; xx < width; xx++) {
    const k = xx * size
    const taps = count[xx]
    const from = first[xx] * channels
    for (let ch = 0; ch < channels; ch++) {
      let o = xx * channels + ch
      if (taps === 2) {
        const w0 = weights[k]
        const w1 = weights[k + 1]
        for (let row = start + from + ch; row < end; row += inRow, o += outRow)
          out[o] = (HALF + data[row] * w0 + data[row + channels] * w1) >> PRECISION_BITS
        continue
      }
      for (let row = start + from + ch; row < end; row += inRow, o += outRow) {
        let sum = HALF
        for (let t = k, at = row; t < k + taps; t++, at += channels) sum += data[at] * weights[t]
        out[o] = clip8(sum)
      }
    }
  }
}

function resampleRowsByRow(
  image: RawImage,
  firstRow: number,
  rowCount: number,
  width: number,
  c: Coefficients,
  out: Uint8Array,
): void {
  const channels = image.channels
  const inRow = image.width * channels
  const data = image.data
  const {first, count, weights, size} = c
  let o = 0
  for (let y = 0; y < rowCount; y++) {
    const row = (y + firstRow) * inRow
    for (let xx = 0; xx < width; xx++) {
      let at = row + first[xx] * channels
      const k = xx * size
      const end = k + count[xx]
      if (channels === 1) {
        let sum = HALF
        for (let t = k; t < end; t++, at++) sum += data[at] * weights[t]
        out[o++] = clip8(sum)
        continue
      }
      if (channels === 3) {
        let r = HALF
        let g = HALF
        let b = HALF
        for (let t = k; t < end; t++, at += 3) {
          const w = weights[t]
          r += data[at] * w
          g += data[at + 1] * w
          b += data[at + 2] * w
        }
        out[o++] = clip8(r)
        out[o++] = clip8(g)
        out[o++] = clip8(b)
        continue
      }
      for (let ch = 0; ch < channels; ch++) {
        let sum = HALF
        for (let t = k, i = at + ch; t < end; t++, i += channels) sum += data[i] * weights[t]
        out[o++] = clip8(sum)
      }
    }
  }
}

/**
 * The vertical pass over rows of `rowLength` values; `c`'s source rows count from `firstRow`, the first row
 * `data` holds. Upscaling reads two rows per output row: that case runs as one straight line per value,
 * which took half the time of the loop over taps on 28×28 → 32×32 (bench:images profile).
 */
function resampleColumns(
  data: Uint8Array,
  rowLength: number,
  c: Coefficients,
  firstRow: number,
  out: Uint8Array,
): void {
  const {first, count, weights, size} = c
  const height = first.length
  for (let yy = 0; yy < height; yy++) {
    const k = yy * size
    const end = k + count[yy]
    const top = (first[yy] - firstRow) * rowLength
    const o = yy * rowLength
    if (count[yy] === 2) {
      const w0 = weights[k]
      const w1 = weights[k + 1]
      for (let i = 0, a = top, b = top + rowLength; i < rowLength; i++, a++, b++)
        out[o + i] = (HALF + data[a] * w0 + data[b] * w1) >> PRECISION_BITS
      continue
    }
    // each value summed in a local over its taps: a running row of sums in memory was twice as slow
    for (let i = 0; i < rowLength; i++) {
      let sum = HALF
      for (let t = k, at = top + i; t < end; t++, at += rowLength) sum += data[at] * weights[t]
      out[o + i] = clip8(sum)
    }
  }
}

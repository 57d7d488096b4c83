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
    for (let x = 0; x < xmax; x++) {
      const w = total === 0 ? k[x] : k[x] / total
      weights[xx * size + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE)
    }
    first[xx] = xmin
    count[xx] = xmax
  }
  return {first, count, weights, size}
}

const clip8 = (sum: number) => (sum >= ONE * 256 ? 255 : sum <= 0 ? 0 : sum >> PRECISION_BITS)

/**
 * `image` (8-bit, interleaved) resized to width × height from `box` (default: the whole image). A dimension
 * whose size and box are unchanged is not touched, so the same size gives the same pixels.
 */
export function resampleBilinear(image: RawImage, width: number, height: number, box?: SourceBox): RawImage {
  const {left, top, right, bottom} = box ?? {left: 0, top: 0, right: image.width, bottom: image.height}
  const horizontal = width !== image.width || left !== 0 || right !== width
  const vertical = height !== image.height || top !== 0 || bottom !== height
  const columns = coefficients(image.width, left, right, width)
  const rows = coefficients(image.height, top, bottom, height)
  let source = image
  // the horizontal pass makes only the rows the vertical pass reads, from firstRow on
  const firstRow = horizontal ? rows.first[0] : 0
  if (horizontal) {
    const lastRow = rows.first[height - 1] + rows.count[height - 1]
    source = resampleRows(image, firstRow, lastRow - firstRow, width, columns)
  }
  if (vertical) return resampleColumns(source, height, rows, firstRow)
  // the horizontal pass alone wrote into scratch space: the caller gets its own copy
  return {...source, data: source.data.slice()}
}

/**
 * Scratch space for the intermediate image, reused from call to call: allocating a typed array of a small
 * image's size costs a few microseconds, more than resizing a 28×28 image takes.
 */
let intermediate = new Uint8Array(0)

function resampleRows(image: RawImage, firstRow: number, rowCount: number, width: number, c: Coefficients): RawImage {
  const channels = image.channels
  const inRow = image.width * channels
  if (intermediate.length < width * rowCount * channels) intermediate = new Uint8Array(width * rowCount * channels)
  const out = intermediate
  const data = image.data
  const {first, count, weights, size} = c
  let o = 0
  for (let y = 0; y < rowCount; y++) {
    const row = (y + firstRow) * inRow
    for (let xx = 0; xx < width; xx++) {
      let at = row + first[xx] * channels
      const k = xx * size
      const end = k + count[xx]
      // gray and RGB, the common cases, each in one pass over the taps
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
  return {width, height: rowCount, channels, data: out.subarray(0, width * rowCount * channels)}
}

/** The vertical pass; `c`'s source rows count from `firstRow`, the first row `image` holds. */
function resampleColumns(image: RawImage, height: number, c: Coefficients, firstRow: number): RawImage {
  const channels = image.channels
  const rowLength = image.width * channels
  const out = new Uint8Array(rowLength * height)
  const data = image.data
  const {first, count, weights, size} = c
  // each output value summed in a local over its taps: a running row of sums in memory was twice as slow
  // on 28×28 images (one load and one store per tap)
  for (let yy = 0; yy < height; yy++) {
    const k = yy * size
    const end = k + count[yy]
    const top = (first[yy] - firstRow) * rowLength
    const o = yy * rowLength
    for (let i = 0; i < rowLength; i++) {
      let sum = HALF
      for (let t = k, at = top + i; t < end; t++, at += rowLength) sum += data[at] * weights[t]
      out[o + i] = clip8(sum)
    }
  }
  return {width: image.width, height, channels, data: out}
}

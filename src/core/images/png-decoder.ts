/**
 * A PNG decoder in TypeScript: chunks with their CRCs, zlib through node:zlib, the five row filters, every
 * bit depth and colour type of the PNG specification, tRNS transparency and Adam7 interlacing.
 *
 * Why not sharp: a libvips pipeline has a fixed cost of about 300 µs per image on this project's 2-core bench
 * machine, five times what decoding a 28×28 PNG takes here (README "Your own images"). The result is 8 bits
 * per channel (16-bit samples keep their high byte, as libvips's 8-bit conversion does), palettes expanded.
 * Errors are plain Errors whose message is the reason; the caller tells truncated files from damaged ones
 * by their end (image-preprocessing.ts), as it does for sharp's errors.
 */
import {inflateSync} from 'node:zlib'

import type {RawImage} from './raw-image.js'

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

/** Samples per pixel by colour type: gray, RGB, palette index, gray + alpha, RGBA. */
const SAMPLES: Record<number, number | undefined> = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}

/** Bit depths the specification allows for each colour type. */
const DEPTHS: Record<number, number[]> = {0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]}

/** Adam7's seven passes: x start, y start, x step, y step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const

export interface PngHeader {
  width: number
  height: number
  bitDepth: number
  colourType: number
  interlaced: boolean
  /** A tRNS chunk: gray and RGB images gain an alpha channel, palette entries their alpha. */
  transparency: boolean
  /** The TIFF bytes of an eXIf chunk (which may carry an orientation). */
  exif?: Uint8Array
  /** Channels of the decoded image: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA. */
  channels: number
}

interface Chunk {
  type: string
  data: Uint8Array
}

/**
 * The header facts of a PNG, reading its chunks up to the first IDAT (where any tRNS and eXIf sit).
 * Throws for a damaged header.
 */
export function readPngHeader(bytes: Uint8Array): PngHeader {
  const chunks: Chunk[] = []
  for (const chunk of pngChunks(bytes, false)) {
    if (chunk.type === 'IDAT') break
    chunks.push(chunk)
  }
  return headerOf(chunks)
}

/**
 * Decodes a whole PNG to 8-bit pixels. `checkSize` sees the header's size before anything is inflated (the
 * decompression-bomb check) and throws to refuse it.
 */
export function decodePng(bytes: Uint8Array, checkSize: (header: PngHeader) => void): RawImage {
  const chunks = [...pngChunks(bytes, true)]
  const header = headerOf(chunks)
  checkSize(header)
  const idat = chunks.filter((chunk) => chunk.type === 'IDAT')
  if (idat.length === 0) throw damage('no image data (IDAT)')
  let inflated: Buffer
  try {
    inflated = inflateSync(idat.length === 1 ? idat[0].data : Buffer.concat(idat.map((chunk) => chunk.data)))
  } catch (error) {
    throw damage(`its image data does not inflate: ${(error as Error).message}`)
  }
  const samples = unfilterImage(inflated, header)
  const palette = chunks.find((chunk) => chunk.type === 'PLTE')?.data
  const transparency = chunks.find((chunk) => chunk.type === 'tRNS')?.data
  return toRaw(samples, header, palette, transparency)
}

function headerOf(chunks: Chunk[]): PngHeader {
  const ihdr = chunks[0]
  if (!ihdr || ihdr.type !== 'IHDR' || ihdr.data.length !== 13) throw damage('its first chunk is not IHDR')
  const view = new DataView(ihdr.data.buffer, ihdr.data.byteOffset, 13)
  const width = view.getUint32(0)
  const height = view.getUint32(4)
  const bitDepth = ihdr.data[8]
  const colourType = ihdr.data[9]
  const interlace = ihdr.data[12]
  if (width === 0 || height === 0) throw damage(`its size is ${width}×${height}`)
  if (!DEPTHS[colourType]?.includes(bitDepth))
    throw damage(`colour type ${colourType} with bit depth ${bitDepth} is not valid PNG`)
  if (ihdr.data[10] !== 0 || ihdr.data[11] !== 0 || interlace > 1)
    throw damage('unknown compression, filter or interlace method')
  const transparency = chunks.some((chunk) => chunk.type === 'tRNS')
  const exif = chunks.find((chunk) => chunk.type === 'eXIf')?.data
  const base = colourType === 3 ? 3 : colourType === 0 || colourType === 4 ? 1 : 3
  const hasAlpha = colourType === 4 || colourType === 6 || transparency
  return {
    width,
    height,
    bitDepth,
    colourType,
    interlaced: interlace === 1,
    transparency,
    ...(exif && {exif}),
    channels: base + (hasAlpha ? 1 : 0),
  }
}

/**
 * The chunks in file order, each CRC checked when `checkCrc`; stops after IEND. A file that ends inside a
 * chunk, or before IEND, is truncated; a wrong CRC is damage.
 */
function* pngChunks(bytes: Uint8Array, checkCrc: boolean): Generator<Chunk> {
  for (let i = 0; i < 8; i++) if (bytes[i] !== SIGNATURE[i]) throw damage('its signature is damaged')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = 8
  for (;;) {
    if (at + 12 > bytes.length) throw damage('it ends before its IEND chunk')
    const length = view.getUint32(at)
    const end = at + 12 + length
    if (end > bytes.length) throw damage('a chunk runs past the end of the file')
    const type = String.fromCharCode(bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7])
    if (checkCrc && crc32(bytes, at + 4, at + 8 + length) !== view.getUint32(at + 8 + length))
      throw damage(`its ${type} chunk fails its CRC check`)
    yield {type, data: bytes.subarray(at + 8, at + 8 + length)}
    if (type === 'IEND') return
    at = end
  }
}

/**
 * Reverses the row filters (None, Sub, Up, Average, Paeth) of every pass; the result is the samples, row
 * after row of the whole image, still packed at the file's bit depth.
 */
function unfilterImage(data: Uint8Array, header: PngHeader): Uint8Array {
  const bitsPerPixel = (SAMPLES[header.colourType] as number) * header.bitDepth
  const rowBytes = (width: number) => Math.ceil((width * bitsPerPixel) / 8)
  if (!header.interlaced) {
    // in place: each row moves down over its filter bytes, into bytes already read (an allocation of a small
    // image's size costs microseconds, as much as unfiltering it)
    unfilterPass(data, 0, data, header.height, rowBytes(header.width), bitsPerPixel)
    return data.subarray(0, rowBytes(header.width) * header.height)
  }
  // Adam7: each pass is a small image of its own; its pixels go to their places in the whole one
  const fullRow = rowBytes(header.width)
  const out = new Uint8Array(fullRow * header.height)
  let at = 0
  for (const [x0, y0, dx, dy] of ADAM7) {
    const width = Math.ceil((header.width - x0) / dx)
    const height = Math.ceil((header.height - y0) / dy)
    if (width <= 0 || height <= 0) continue
    const passRow = rowBytes(width)
    const pass = new Uint8Array(passRow * height)
    at = unfilterPass(data, at, pass, height, passRow, bitsPerPixel)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        copyPixel(pass, y * passRow, x, out, (y0 + y * dy) * fullRow, x0 + x * dx, bitsPerPixel)
  }
  return out
}

/** Unfilters `height` rows from data[at...] into out; returns where the next pass starts. */
function unfilterPass(
  data: Uint8Array,
  at: number,
  out: Uint8Array,
  height: number,
  rowLength: number,
  bitsPerPixel: number,
): number {
  if (data.length < at + (rowLength + 1) * height) throw truncatedData()
  const bpp = Math.max(1, bitsPerPixel >> 3)
  for (let y = 0; y < height; y++) {
    const filter = data[at++]
    const row = y * rowLength
    const previous = row - rowLength
    if (out === data) out.copyWithin(row, at, at + rowLength)
    else out.set(data.subarray(at, at + rowLength), row)
    at += rowLength
    switch (filter) {
      case 0:
        break
      case 1:
        for (let i = bpp; i < rowLength; i++) out[row + i] = (out[row + i] + out[row + i - bpp]) & 0xff
        break
      case 2:
        if (y > 0) for (let i = 0; i < rowLength; i++) out[row + i] = (out[row + i] + out[previous + i]) & 0xff
        break
      case 3:
        for (let i = 0; i < rowLength; i++) {
          const left = i >= bpp ? out[row + i - bpp] : 0
          const up = y > 0 ? out[previous + i] : 0
          out[row + i] = (out[row + i] + ((left + up) >> 1)) & 0xff
        }
        break
      case 4:
        for (let i = 0; i < rowLength; i++) {
          const a = i >= bpp ? out[row + i - bpp] : 0
          const b = y > 0 ? out[previous + i] : 0
          const c = i >= bpp && y > 0 ? out[previous + i - bpp] : 0
          const p = a + b - c
          const pa = Math.abs(p - a)
          const pb = Math.abs(p - b)
          const pc = Math.abs(p - c)
          out[row + i] = (out[row + i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 0xff
        }
        break
      default:
        throw damage(`row ${y} has unknown filter type ${filter}`)
    }
  }
  return at
}

/** Copies pixel x of one packed row to pixel toX of another (any bit depth). */
function copyPixel(
  from: Uint8Array,
  fromRow: number,
  x: number,
  to: Uint8Array,
  toRow: number,
  toX: number,
  bitsPerPixel: number,
): void {
  if (bitsPerPixel >= 8) {
    const bytes = bitsPerPixel >> 3
    for (let b = 0; b < bytes; b++) to[toRow + toX * bytes + b] = from[fromRow + x * bytes + b]
    return
  }
  const perByte = 8 / bitsPerPixel
  const mask = (1 << bitsPerPixel) - 1
  const value = (from[fromRow + Math.floor(x / perByte)] >> ((perByte - 1 - (x % perByte)) * bitsPerPixel)) & mask
  const shift = (perByte - 1 - (toX % perByte)) * bitsPerPixel
  const index = toRow + Math.floor(toX / perByte)
  to[index] = (to[index] & ~(mask << shift)) | (value << shift)
}

/** Packed samples → 8-bit interleaved pixels: gray scaled up, palettes looked up, tRNS made alpha. */
function toRaw(
  samples: Uint8Array,
  header: PngHeader,
  palette: Uint8Array | undefined,
  transparency: Uint8Array | undefined,
): RawImage {
  const {width, height, bitDepth, colourType, channels} = header
  const count = width * height
  // 8-bit gray, gray + alpha, RGB, RGBA: the samples are the pixels
  if (bitDepth === 8 && !transparency && colourType !== 3) return {width, height, channels, data: samples}
  const out = new Uint8Array(count * channels)
  const perPixel = SAMPLES[colourType] as number
  const rowLength = Math.ceil((width * perPixel * bitDepth) / 8)
  // one sample at its own bit depth, as read (0..2^depth - 1)
  const sample = (y: number, index: number): number => {
    if (bitDepth === 8) return samples[y * rowLength + index]
    if (bitDepth === 16) return (samples[y * rowLength + 2 * index] << 8) | samples[y * rowLength + 2 * index + 1]
    const perByte = 8 / bitDepth
    return (
      (samples[y * rowLength + Math.floor(index / perByte)] >> ((perByte - 1 - (index % perByte)) * bitDepth)) &
      ((1 << bitDepth) - 1)
    )
  }
  const to8 = (value: number) =>
    bitDepth === 16 ? value >> 8 : bitDepth === 8 ? value : (value * 255) / ((1 << bitDepth) - 1)
  const key = (index: number) => (transparency ? (transparency[2 * index] << 8) | transparency[2 * index + 1] : -1)
  let o = 0
  if (colourType === 3) {
    if (!palette || palette.length % 3 !== 0) throw damage('its palette (PLTE) is missing or damaged')
    const entries = palette.length / 3
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const index = sample(y, x)
        if (index >= entries) throw damage(`a pixel names palette entry ${index} of ${entries}`)
        out[o++] = palette[3 * index]
        out[o++] = palette[3 * index + 1]
        out[o++] = palette[3 * index + 2]
        if (transparency) out[o++] = index < transparency.length ? transparency[index] : 255
      }
    return {width, height, channels, data: out}
  }
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const first = x * perPixel
      if (colourType === 0 || colourType === 4) {
        const gray = sample(y, first)
        out[o++] = to8(gray)
        if (colourType === 4) out[o++] = to8(sample(y, first + 1))
        else if (transparency) out[o++] = gray === key(0) ? 0 : 255
      } else {
        const r = sample(y, first)
        const g = sample(y, first + 1)
        const b = sample(y, first + 2)
        out[o++] = to8(r)
        out[o++] = to8(g)
        out[o++] = to8(b)
        if (colourType === 6) out[o++] = to8(sample(y, first + 3))
        else if (transparency) out[o++] = r === key(0) && g === key(1) && b === key(2) ? 0 : 255
      }
    }
  return {width, height, channels, data: out}
}

/** The chunks are whole but their image data is short. */
function truncatedData(): Error {
  return damage('its image data ends before the last row')
}

function damage(reason: string): Error {
  return new Error(reason)
}

/** CRC-32 (ISO 3309, the one PNG uses) by the byte-wise table method. */
const CRC_TABLE = Int32Array.from({length: 256}, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c
})

function crc32(bytes: Uint8Array, start: number, end: number): number {
  let c = -1
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8)
  return (c ^ -1) >>> 0
}

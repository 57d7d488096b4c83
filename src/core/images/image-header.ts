/**
 * A PNG's or JPEG's size and colour read straight from its header bytes, without asking sharp.
 *
 * sharp's metadata() is a whole libvips header load with a fixed cost per call; on the 28×28 files of
 * `npm run bench:images` it was about a fifth of each image's decode. Every answer here equals the one
 * metadata() gives (test/images/image-header.test.ts checks them side by side); anything this reader is not
 * sure of gives undefined, and the caller asks sharp instead: other formats, EXIF data (whose orientation may
 * swap width and height), a header cut short or unknown JPEG markers before the frame header.
 */
export interface HeaderFacts {
  width: number
  height: number
  /** What sharp's metadata() reports as `channels`. */
  channels: number
}

export function readHeaderFacts(format: string, bytes: Uint8Array): HeaderFacts | undefined {
  if (format === 'png') return pngHeader(bytes)
  if (format === 'jpeg') return jpegHeader(bytes)
  return undefined
}

/** IHDR's colour type → libvips's band count: gray, RGB, gray + alpha, RGBA (a palette is left to sharp). */
const PNG_CHANNELS: Record<number, number | undefined> = {0: 1, 2: 3, 4: 2, 6: 4}

function pngHeader(bytes: Uint8Array): HeaderFacts | undefined {
  // IHDR comes first: length 13, type, width, height, bit depth, colour type
  if (bytes.length < 33 || ascii(bytes, 12, 16) !== 'IHDR') return undefined
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const width = view.getUint32(16)
  const height = view.getUint32(20)
  const channels = PNG_CHANNELS[bytes[25]]
  if (channels === undefined || width === 0 || height === 0) return undefined
  // transparency turns gray into gray + alpha and RGB into RGBA; EXIF may carry an orientation
  if (hasChunk(bytes, 'tRNS') || hasChunk(bytes, 'eXIf')) return undefined
  return {width, height, channels}
}

function hasChunk(bytes: Uint8Array, type: string): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(type, 12, 'latin1')
}

/** Start-of-frame markers (baseline, progressive, lossless, arithmetic): every one but DHT, JPG and DAC. */
const isStartOfFrame = (marker: number) =>
  marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc

/** Quantization and Huffman tables, arithmetic conditioning, restart interval: may precede the frame header. */
const TABLES = new Set([0xdb, 0xc4, 0xcc, 0xdd])

function jpegHeader(bytes: Uint8Array): HeaderFacts | undefined {
  let at = 2
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return undefined
    const marker = bytes[at + 1]
    const length = (bytes[at + 2] << 8) | bytes[at + 3]
    if (isStartOfFrame(marker)) {
      if (at + 10 > bytes.length) return undefined
      const height = (bytes[at + 5] << 8) | bytes[at + 6]
      const width = (bytes[at + 7] << 8) | bytes[at + 8]
      const components = bytes[at + 9]
      if (width === 0 || height === 0 || ![1, 3].includes(components)) return undefined
      return {width, height, channels: components}
    }
    // APP1 holds EXIF (and its orientation); only tables, comments and the other application segments are passed
    const known = marker === 0xe0 || (marker >= 0xe2 && marker <= 0xef) || marker === 0xfe || TABLES.has(marker)
    if (!known || length < 2) return undefined
    at += 2 + length
  }
  return undefined
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1')
}

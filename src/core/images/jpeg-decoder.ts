/**
 * JPEG files through jpeg-js (pure JavaScript, baseline and progressive Huffman-coded 8-bit JPEG), with the
 * header read here first: its size, its components and its EXIF orientation, and whether jpeg-js can decode
 * it at all (the rest — arithmetic coding, 12-bit, lossless, CMYK — goes to sharp).
 */
import jpeg from 'jpeg-js'

import {exifOrientation, type Orientation} from './exif-orientation.js'
import type {RawImage} from './raw-image.js'

export interface JpegHeader {
  /** As stored, before orientation. */
  width: number
  height: number
  components: number
  orientation: Orientation
  /** Baseline or progressive Huffman coding, 8-bit samples, gray or YCbCr/RGB: what jpeg-js decodes. */
  plainCoding: boolean
}

/** Start-of-frame markers (baseline, progressive, lossless, arithmetic): every one but DHT, JPG and DAC. */
const isStartOfFrame = (marker: number) =>
  marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc

/** Baseline, extended sequential and progressive, Huffman-coded. */
const PLAIN_FRAMES = new Set([0xc0, 0xc1, 0xc2])

const EXIF = [0x45, 0x78, 0x69, 0x66, 0, 0]

/**
 * Walks the segments before the frame header; throws when it cannot find one (a damaged or cut header).
 */
export function readJpegHeader(bytes: Uint8Array): JpegHeader {
  let at = 2
  let orientation: Orientation = 1
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) throw new Error(`no marker at byte ${at}`)
    const marker = bytes[at + 1]
    // fill bytes before a marker
    if (marker === 0xff) {
      at++
      continue
    }
    const length = (bytes[at + 2] << 8) | bytes[at + 3]
    if (isStartOfFrame(marker)) {
      if (at + 10 > bytes.length) break
      const precision = bytes[at + 4]
      const height = (bytes[at + 5] << 8) | bytes[at + 6]
      const width = (bytes[at + 7] << 8) | bytes[at + 8]
      const components = bytes[at + 9]
      if (width === 0 || height === 0) throw new Error(`its frame size is ${width}×${height}`)
      const plainCoding = PLAIN_FRAMES.has(marker) && precision === 8 && (components === 1 || components === 3)
      return {width, height, components, orientation, plainCoding}
    }
    if (marker === 0xe1 && EXIF.every((byte, i) => bytes[at + 4 + i] === byte))
      orientation = exifOrientation(bytes.subarray(at + 10, Math.min(bytes.length, at + 2 + length)))
    if (length < 2) throw new Error(`a segment of length ${length} at byte ${at}`)
    at += 2 + length
  }
  throw new Error('it ends before its frame header')
}

/**
 * Decodes a JPEG that `header.plainCoding` says jpeg-js reads: RGB, or gray for one component. Throws with
 * jpeg-js's reason for damaged data.
 */
export function decodeJpeg(bytes: Uint8Array, header: JpegHeader): RawImage {
  const pixels = header.width * header.height
  const decoded = jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: false,
    // damaged data is an error, not a gray block
    tolerantDecoding: false,
    // the caller has checked the size against mlctl's own pixel limit; these only need to let it through
    maxResolutionInMP: pixels / 1e6 + 1,
    maxMemoryUsageInMB: Math.ceil((pixels * header.components * 8) / 2 ** 20) + 64,
  })
  const {width, height, data} = decoded
  if (header.components === 3) return {width, height, channels: 3, data}
  // jpeg-js repeats a gray sample in R, G and B
  const gray = new Uint8Array(width * height)
  for (let i = 0; i < gray.length; i++) gray[i] = data[i * 3]
  return {width, height, channels: 1, data: gray}
}

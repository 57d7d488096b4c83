import sharp, {type Metadata, type OutputInfo, type Sharp} from 'sharp'

import {type HeaderFacts, readHeaderFacts} from './image-header.js'

/**
 * How an image becomes a model's input: the one recipe train, evaluate, predict and serve share, recorded in
 * a run's config.json and in the ONNX metadata (image_size, channels, resize) so that every step repeats it.
 */
export interface ImagePreprocessing {
  width: number
  height: number
  channels: 1 | 3
  /** cover: scale to fill, centre crop; contain: scale to fit, letterbox in black; fill: stretch. */
  resize: ResizeMode
}

export type ResizeMode = 'cover' | 'contain' | 'fill'

export const RESIZE_MODES: readonly ResizeMode[] = ['cover', 'contain', 'fill']

/** The formats mlctl reads, by the name it reports them with. */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif'

/**
 * Past this many pixels an image is refused as a decompression bomb (a small file that would inflate to
 * gigabytes): Pillow's DecompressionBombError threshold, far above any camera's full resolution.
 */
export const DEFAULT_MAX_PIXELS = 178_956_970

export type ImageProblem = 'empty' | 'unsupported' | 'truncated' | 'undecodable' | 'too-many-pixels'

/** Why one image cannot be used; `message` is a phrase that follows the file's name. */
export class ImageDecodeError extends Error {
  constructor(
    readonly problem: ImageProblem,
    message: string,
  ) {
    super(message)
    this.name = 'ImageDecodeError'
  }
}

/** What the file itself is, before preprocessing. */
export interface ImageFacts {
  format: ImageFormat
  width: number
  height: number
  /** No colour: one channel (plus perhaps alpha). */
  grayscale: boolean
}

export interface DecodedImage {
  /** uint8 CHW, channels × height × width of the preprocessing */
  pixels: Uint8Array
  facts: ImageFacts
}

/**
 * Decodes one image file's bytes into uint8 CHW per `options`. EXIF orientation is applied; an animation
 * gives its first frame; transparency is flattened onto white (how viewers show a transparent product photo).
 * Throws ImageDecodeError naming the problem.
 */
export async function decodeImage(
  bytes: Uint8Array,
  options: ImagePreprocessing,
  limits: {maxPixels?: number} = {},
): Promise<DecodedImage> {
  const format = sniffImageFormat(bytes)
  const maxPixels = limits.maxPixels ?? DEFAULT_MAX_PIXELS
  // the limit is checked against the header's size below, so that the message can give the size
  const image = sharp(bytes, {limitInputPixels: false, pages: 1, failOn: 'error'})
  let facts: ImageFacts
  let raw: {data: Buffer; info: OutputInfo}
  try {
    facts = checkedFacts(format, await headerFacts(format, bytes, image), maxPixels)
    const pipeline = image
      .rotate()
      .flatten({background: '#ffffff'})
      .resize(options.width, options.height, {
        fit: options.resize,
        position: 'centre',
        background: {r: 0, g: 0, b: 0},
      })
    raw = await (options.channels === 1 ? pipeline.grayscale() : pipeline.toColourspace('srgb'))
      .raw()
      .toBuffer({resolveWithObject: true})
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error
    throw decodeFailure(format, bytes, error as Error)
  }
  return {pixels: toChw(raw.data, raw.info.channels, options), facts}
}

/** The file's format, size and colour from its header, without decoding its pixels. */
export async function readImageFacts(bytes: Uint8Array, limits: {maxPixels?: number} = {}): Promise<ImageFacts> {
  const format = sniffImageFormat(bytes)
  let header: HeaderFacts
  try {
    header = await headerFacts(format, bytes, sharp(bytes, {limitInputPixels: false, pages: 1}))
  } catch (error) {
    throw decodeFailure(format, bytes, error as Error)
  }
  return checkedFacts(format, header, limits.maxPixels ?? DEFAULT_MAX_PIXELS)
}

/**
 * Size (after EXIF orientation) and band count: from the header bytes when they answer alone, else from
 * sharp's metadata(), a second libvips header load that costs as much as a fifth of a small file's decode.
 */
async function headerFacts(format: ImageFormat, bytes: Uint8Array, image: Sharp): Promise<HeaderFacts> {
  const known = readHeaderFacts(format, bytes)
  if (known) return known
  const metadata: Metadata = await image.metadata()
  return {
    width: metadata.autoOrient?.width ?? metadata.width,
    height: metadata.autoOrient?.height ?? metadata.height,
    channels: metadata.channels,
  }
}

function checkedFacts(format: ImageFormat, header: HeaderFacts, maxPixels: number): ImageFacts {
  const {width, height} = header
  if (width * height > maxPixels)
    throw new ImageDecodeError(
      'too-many-pixels',
      `is ${width}×${height} pixels, over the limit of ${maxPixels} (refused as a possible decompression bomb)`,
    )
  return {format, width, height, grayscale: header.channels <= 2}
}

/** The format by the file's first bytes; throws for an empty file or one mlctl does not read. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat {
  if (bytes.length === 0) throw new ImageDecodeError('empty', 'is empty (0 bytes)')
  const ascii = (start: number, end: number) => Buffer.from(bytes.subarray(start, end)).toString('latin1')
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg'
  if (ascii(0, 8) === '\x89PNG\r\n\x1a\n') return 'png'
  if (ascii(0, 4) === 'GIF8') return 'gif'
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp'
  if (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') return 'tiff'
  if (ascii(4, 8) === 'ftyp' && ['avif', 'avis'].includes(ascii(8, 12))) return 'avif'
  const known = describeOtherFormat(bytes, ascii)
  throw new ImageDecodeError(
    'unsupported',
    `is ${known ?? 'not an image mlctl reads'}; mlctl reads JPEG, PNG, WebP, GIF, TIFF and AVIF`,
  )
}

function describeOtherFormat(bytes: Uint8Array, ascii: (start: number, end: number) => string): string | undefined {
  if (ascii(0, 2) === 'BM') return 'a BMP image'
  if (ascii(4, 8) === 'ftyp' && ascii(8, 12).startsWith('he')) return 'a HEIC image'
  if (ascii(0, 5) === '<?xml' || ascii(0, 4) === '<svg') return 'an SVG drawing'
  if (ascii(0, 4) === '%PDF') return 'a PDF document'
  return bytes.length < 8 ? `too short to be an image (${bytes.length} bytes)` : undefined
}

/**
 * A failed decode of a known format: truncated when the file lacks the end its format requires (a copy or
 * download cut short), undecodable otherwise.
 */
function decodeFailure(format: ImageFormat, bytes: Uint8Array, error: Error): ImageDecodeError {
  if (/pixel limit/i.test(error.message))
    return new ImageDecodeError(
      'too-many-pixels',
      'has more pixels than the limit (refused as a possible decompression bomb)',
    )
  const reason = error.message.split('\n')[0]?.trim() ?? ''
  if (!hasFormatEnd(format, bytes))
    return new ImageDecodeError('truncated', `is a truncated ${format.toUpperCase()} file (it ends early)`)
  return new ImageDecodeError('undecodable', `cannot be decoded as ${format.toUpperCase()} (${reason})`)
}

function hasFormatEnd(format: ImageFormat, bytes: Uint8Array): boolean {
  const n = bytes.length
  switch (format) {
    case 'jpeg':
      // an end-of-image marker among the last bytes; some cameras append padding after it
      for (let i = n - 2; i >= Math.max(0, n - 1024); i--) if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) return true
      return false
    case 'png':
      return Buffer.from(bytes.subarray(n - 8, n - 4)).toString('latin1') === 'IEND'
    case 'gif':
      return bytes[n - 1] === 0x3b
    case 'webp':
      return n >= 8 && Buffer.from(bytes.buffer, bytes.byteOffset, n).readUInt32LE(4) + 8 <= n
    default:
      return true
  }
}

/** sharp's interleaved HWC rows to planar CHW. */
function toChw(data: Buffer, decodedChannels: number, options: ImagePreprocessing): Uint8Array {
  const {width, height, channels} = options
  const plane = width * height
  if (data.length !== plane * decodedChannels)
    throw new ImageDecodeError('undecodable', `decoded to ${data.length} bytes, not ${plane}×${decodedChannels}`)
  const out = new Uint8Array(plane * channels)
  if (channels === 1) {
    if (decodedChannels === 1) out.set(data)
    else for (let p = 0; p < plane; p++) out[p] = data[p * decodedChannels]
    return out
  }
  for (let c = 0; c < 3; c++) {
    const source = decodedChannels >= 3 ? c : 0
    const offset = c * plane
    for (let p = 0; p < plane; p++) out[offset + p] = data[p * decodedChannels + source]
  }
  return out
}

/** "32" → 32×32, "48x32" → width 48, height 32; undefined when the text is neither. */
export function parseImageSize(text: string): {width: number; height: number} | undefined {
  const match = /^\s*(\d+)\s*(?:[x×]\s*(\d+))?\s*$/i.exec(text)
  if (!match) return undefined
  const width = Number(match[1])
  const height = Number(match[2] ?? match[1])
  if (!(width >= 1 && height >= 1 && width <= 4096 && height <= 4096)) return undefined
  return {width, height}
}

/** A recorded preprocessing (config.json, model.json) that is whole and valid. */
export function isImagePreprocessing(value: unknown): value is ImagePreprocessing {
  if (typeof value !== 'object' || value === null) return false
  const {width, height, channels, resize} = value as Record<string, unknown>
  const size = (n: unknown) => Number.isInteger(n) && (n as number) >= 1
  return (
    size(width) && size(height) && (channels === 1 || channels === 3) && RESIZE_MODES.includes(resize as ResizeMode)
  )
}

/**
 * An image file's bytes to upright 8-bit pixels at the file's own size, and its facts: PNG by mlctl's own
 * decoder, JPEG by jpeg-js, and everything they do not take (WebP, GIF, TIFF, AVIF; arithmetic-coded,
 * 12-bit, lossless or CMYK JPEG; large JPEGs) by sharp, whose libvips pipeline costs a fixed ~300 µs per image
 * that mattered only on small files (README "Your own images"). Which route a file takes depends only on its
 * header, so a given file gives the same pixels in every step.
 */
import type {Metadata, SharpOptions} from 'sharp'

import {exifOrientation, orient, type Orientation, swapsSides} from './exif-orientation.js'
import {ImageDecodeError} from './image-decode-error.js'
import {hasFormatEnd, type ImageFormat, sniffImageFormat} from './image-format.js'
import {decodeJpeg, type JpegHeader, readJpegHeader} from './jpeg-decoder.js'
import {decodePng, readPngHeader} from './png-decoder.js'
import type {RawImage} from './raw-image.js'

/**
 * Past this many pixels an image is refused as a decompression bomb (a small file that would inflate to
 * gigabytes): Pillow's DecompressionBombError threshold, far above any camera's full resolution.
 */
export const DEFAULT_MAX_PIXELS = 178_956_970

/**
 * JPEGs above this many pixels (about 90×90) go to sharp: on this project's bench machine jpeg-js and sharp's
 * raw decode took about as long at 64×64 to 96×96 colour files; above, libjpeg-turbo's SIMD decode wins
 * (4-6× at 320×240 and 640×480), below, sharp's fixed cost per pipeline does (10× at 28×28).
 */
export const LARGE_JPEG_PIXELS = 8192

/** What the file itself is, before preprocessing. */
export interface ImageFacts {
  format: ImageFormat
  /** Upright, after EXIF orientation. */
  width: number
  height: number
  /** No colour: one channel (plus perhaps alpha). */
  grayscale: boolean
}

export interface RawDecode {
  image: RawImage
  facts: ImageFacts
}

/**
 * Decodes one file. EXIF orientation is applied; an animation gives its first frame; alpha stays (the
 * preprocessing flattens it). Throws ImageDecodeError naming the problem.
 */
export async function decodeRawImage(bytes: Uint8Array, maxPixels = DEFAULT_MAX_PIXELS): Promise<RawDecode> {
  const format = sniffImageFormat(bytes)
  try {
    if (format === 'png') return decodeOwnPng(bytes, maxPixels)
    if (format === 'jpeg') {
      const header = readJpegHeader(bytes)
      const facts = jpegFacts(header, maxPixels)
      if (takesJpegJs(header, bytes)) return {image: orient(decodeJpeg(bytes, header), header.orientation), facts}
    }
    return await decodeWithSharp(format, bytes, maxPixels)
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error
    throw decodeFailure(format, bytes, error as Error)
  }
}

/** The file's format, size and colour from its header, without decoding its pixels. */
export async function readImageFacts(bytes: Uint8Array, maxPixels = DEFAULT_MAX_PIXELS): Promise<ImageFacts> {
  const format = sniffImageFormat(bytes)
  try {
    if (format === 'png') {
      const header = readPngHeader(bytes)
      const orientation = header.exif ? exifOrientation(header.exif) : 1
      return checkedFacts('png', header.width, header.height, orientation, header.channels, maxPixels)
    }
    if (format === 'jpeg') return jpegFacts(readJpegHeader(bytes), maxPixels)
    return sharpFacts(format, await (await sharpOf(bytes, {limitInputPixels: false, pages: 1})).metadata(), maxPixels)
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error
    throw decodeFailure(format, bytes, error as Error)
  }
}

function decodeOwnPng(bytes: Uint8Array, maxPixels: number): RawDecode {
  let orientation: Orientation = 1
  let facts: ImageFacts | undefined
  const stored = decodePng(bytes, (header) => {
    orientation = header.exif ? exifOrientation(header.exif) : 1
    facts = checkedFacts('png', header.width, header.height, orientation, header.channels, maxPixels)
  })
  return {image: orient(stored, orientation), facts: facts!}
}

function sharpFacts(format: ImageFormat, metadata: Metadata, maxPixels: number): ImageFacts {
  return checkedFacts(format, metadata.width, metadata.height, metadata.orientation ?? 1, metadata.channels, maxPixels)
}

function jpegFacts(header: JpegHeader, maxPixels: number): ImageFacts {
  return checkedFacts('jpeg', header.width, header.height, header.orientation, header.components, maxPixels)
}

/**
 * jpeg-js takes what it decodes correctly (plain coding), when the file is whole (without its end marker it
 * goes to sharp, which tells a cut file from one with bytes after its end) and not large.
 */
function takesJpegJs(header: JpegHeader, bytes: Uint8Array): boolean {
  return header.plainCoding && header.width * header.height <= LARGE_JPEG_PIXELS && hasFormatEnd('jpeg', bytes)
}

/** sharp loads on first use: a worker that only meets PNG and JPEG files starts without libvips. */
async function sharpOf(bytes: Uint8Array, options: SharpOptions) {
  const {default: sharp} = await import('sharp')
  return sharp(bytes, options)
}

async function decodeWithSharp(format: ImageFormat, bytes: Uint8Array, maxPixels: number): Promise<RawDecode> {
  // the limit is checked against the header's size first, so that the message can give the size
  const image = await sharpOf(bytes, {limitInputPixels: false, pages: 1, failOn: 'error'})
  const metadata = await image.metadata()
  const facts = sharpFacts(format, metadata, maxPixels)
  // one band for a gray image without alpha (a third of the pixels to resize); libvips's 'b-w' drops alpha,
  // so gray with alpha comes as sRGB + alpha, whose R = G = B gives the gray back exactly
  const {data, info} = await image
    .rotate()
    .toColourspace(facts.grayscale && !metadata.hasAlpha ? 'b-w' : 'srgb')
    .raw({depth: 'uchar'})
    .toBuffer({resolveWithObject: true})
  return {
    image: {width: info.width, height: info.height, channels: info.channels, data},
    facts,
  }
}

function checkedFacts(
  format: ImageFormat,
  storedWidth: number,
  storedHeight: number,
  orientation: number,
  channels: number,
  maxPixels: number,
): ImageFacts {
  const swap = swapsSides(orientation as Orientation)
  const width = swap ? storedHeight : storedWidth
  const height = swap ? storedWidth : storedHeight
  if (width * height > maxPixels)
    throw new ImageDecodeError(
      'too-many-pixels',
      `is ${width}×${height} pixels, over the limit of ${maxPixels} (refused as a possible decompression bomb)`,
    )
  return {format, width, height, grayscale: channels <= 2}
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

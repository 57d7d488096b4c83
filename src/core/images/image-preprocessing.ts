import {decodeRawImage, type ImageFacts} from './decode-raw.js'
import type {RawImage} from './raw-image.js'
import {resampleBilinear} from './resample.js'

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

/**
 * The version of the pixels this code makes from a file; part of the image-folder cache's key, so a cache
 * written by code that made other pixels is decoded again. 2: mlctl's own PNG/JPEG decoding and Pillow's
 * bilinear resampling (1 was sharp's decode and lanczos resize).
 */
export const PREPROCESSING_VERSION = 2

/** The bytes of one model input: width × height × channels. */
export function exampleBytes({width, height, channels}: ImagePreprocessing): number {
  return width * height * channels
}

export interface DecodedImage {
  /** uint8 CHW, channels × height × width of the preprocessing */
  pixels: Uint8Array
  facts: ImageFacts
}

/**
 * Decodes one image file's bytes into uint8 CHW per `options`, written into `into` when given (at least
 * width × height × channels long). EXIF orientation is applied; an animation gives its first frame;
 * transparency is flattened onto white (how viewers show a transparent product photo). Throws
 * ImageDecodeError naming the problem.
 */
export async function decodeImage(
  bytes: Uint8Array,
  options: ImagePreprocessing,
  limits: {maxPixels?: number} = {},
  into?: Uint8Array,
): Promise<DecodedImage> {
  const {image, facts} = await decodeRawImage(bytes, limits.maxPixels)
  return {pixels: preprocessRawImage(image, options, into), facts}
}

/**
 * Decoded pixels (any size, 1-4 channels) to the model's input, in the order PIL and torchvision take:
 * alpha flattened on white, colour to gray by ITU-R 601-2 luma when one channel is asked, then the resize
 * (Pillow's antialiased bilinear, resample.ts), then planar CHW into `into` or a new array. Gray stays one
 * channel until the end.
 */
export function preprocessRawImage(image: RawImage, options: ImagePreprocessing, into?: Uint8Array): Uint8Array {
  let pixels = flattenOnWhite(image)
  if (options.channels === 1 && pixels.channels === 3) pixels = toGray(pixels)
  pixels = resize(pixels, options)
  const bytes = exampleBytes(options)
  return toChw(pixels, options.channels, into?.subarray(0, bytes) ?? new Uint8Array(bytes))
}

/** Gray + alpha → gray, RGBA → RGB, as if laid over a white page. */
function flattenOnWhite(image: RawImage): RawImage {
  if (image.channels !== 2 && image.channels !== 4) return image
  const colours = image.channels - 1
  const count = image.width * image.height
  const out = new Uint8Array(count * colours)
  const data = image.data
  for (let p = 0; p < count; p++) {
    const alpha = data[p * image.channels + colours]
    for (let c = 0; c < colours; c++)
      out[p * colours + c] = Math.round((data[p * image.channels + c] * alpha + 255 * (255 - alpha)) / 255)
  }
  return {width: image.width, height: image.height, channels: colours, data: out}
}

/** PIL's convert('L') (torchvision's Grayscale): L = R·299/1000 + G·587/1000 + B·114/1000 in 16-bit fixed point. */
function toGray(image: RawImage): RawImage {
  const count = image.width * image.height
  const out = new Uint8Array(count)
  const data = image.data
  for (let p = 0; p < count; p++)
    out[p] = (data[3 * p] * 19595 + data[3 * p + 1] * 38470 + data[3 * p + 2] * 7471 + 0x8000) >> 16
  return {width: image.width, height: image.height, channels: 1, data: out}
}

/**
 * Scratch space for the resized image, which toChw copies out: allocating a typed array per image cost a
 * microsecond or two, a quarter of resizing a 28×28 image (bench:images profile).
 */
let resized = new Uint8Array(0)

/**
 * fill: stretch; cover: scale the centred region of the output's aspect ratio (Pillow's ImageOps.fit, which
 * resizes that region of the source directly, no crop of a rounded intermediate); contain: fit inside and pad
 * with black, centred (ImageOps.pad, with Python's rounding).
 */
function resize(image: RawImage, options: ImagePreprocessing): RawImage {
  const {width, height} = options
  const size = width * height * image.channels
  if (resized.length < size) resized = new Uint8Array(size)
  if (options.resize === 'fill') return resampleBilinear(image, width, height, undefined, resized)
  const sourceRatio = image.width / image.height
  const outputRatio = width / height
  if (options.resize === 'cover') {
    let cropWidth = image.width
    let cropHeight = image.height
    if (sourceRatio > outputRatio) cropWidth = outputRatio * image.height
    else if (sourceRatio < outputRatio) cropHeight = image.width / outputRatio
    const left = (image.width - cropWidth) * 0.5
    const top = (image.height - cropHeight) * 0.5
    return resampleBilinear(
      image,
      width,
      height,
      {
        left,
        top,
        right: left + cropWidth,
        bottom: top + cropHeight,
      },
      resized,
    )
  }
  let fitWidth = width
  let fitHeight = height
  if (sourceRatio > outputRatio) fitHeight = roundHalfEven((image.height / image.width) * width)
  else if (sourceRatio < outputRatio) fitWidth = roundHalfEven((image.width / image.height) * height)
  const fitted = resampleBilinear(image, Math.max(1, fitWidth), Math.max(1, fitHeight), undefined, resized)
  if (fitted.width === width && fitted.height === height) return fitted
  const x = roundHalfEven((width - fitted.width) * 0.5)
  const y = roundHalfEven((height - fitted.height) * 0.5)
  const rowLength = fitted.width * image.channels
  const out = new Uint8Array(width * height * image.channels)
  for (let row = 0; row < fitted.height; row++)
    out.set(fitted.data.subarray(row * rowLength, (row + 1) * rowLength), ((y + row) * width + x) * image.channels)
  return {width, height, channels: image.channels, data: out}
}

/** Python's round(): halves to the even neighbour. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value)
  const fraction = value - floor
  if (fraction !== 0.5) return Math.round(value)
  return floor % 2 === 0 ? floor : floor + 1
}

/** Interleaved 1 or 3 channels to planar CHW in `out`, with `channels` planes (gray repeated for RGB). */
function toChw(image: RawImage, channels: 1 | 3, out: Uint8Array): Uint8Array {
  const plane = image.width * image.height
  const data = image.data
  if (image.channels === 1) {
    for (let c = 0; c < channels; c++) out.set(data.subarray(0, plane), c * plane)
    return out
  }
  for (let c = 0; c < 3; c++) {
    const offset = c * plane
    for (let p = 0; p < plane; p++) out[offset + p] = data[p * 3 + c]
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

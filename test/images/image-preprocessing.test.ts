import sharp from 'sharp'
import {describe, expect, it} from 'vitest'

import {ImageDecodeError} from '../../src/core/images/image-decode-error.js'
import {decodeImage, type ImagePreprocessing, parseImageSize} from '../../src/core/images/image-preprocessing.js'

/** A width×height RGB image whose left half is red and right half is blue. */
function halves(width: number, height: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3)
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) pixels.set(x < width / 2 ? [255, 0, 0] : [0, 0, 255], (y * width + x) * 3)
  return sharp(pixels, {raw: {width, height, channels: 3}})
    .png()
    .toBuffer()
}

const RGB_4: ImagePreprocessing = {width: 4, height: 4, channels: 3, resize: 'fill'}

async function problemOf(bytes: Uint8Array, limits?: {maxPixels?: number}): Promise<string> {
  try {
    await decodeImage(bytes, RGB_4, limits)
    return 'decoded'
  } catch (error) {
    expect(error).toBeInstanceOf(ImageDecodeError)
    return `${(error as ImageDecodeError).problem}: ${(error as Error).message}`
  }
}

describe('decodeImage', () => {
  it('gives uint8 CHW at the asked size: red plane left, blue plane right', async () => {
    const {pixels, facts} = await decodeImage(await halves(8, 8), RGB_4)
    expect(facts).toEqual({format: 'png', width: 8, height: 8, grayscale: false})
    expect(pixels).toHaveLength(3 * 16)
    // each plane's first row, its left and right ends (resampling blends the middle)
    const ends = (c: number) => [pixels[c * 16], pixels[c * 16 + 3]]
    expect(ends(0)).toEqual([255, 0])
    expect(ends(1)).toEqual([0, 0])
    expect(ends(2)).toEqual([0, 255])
  })

  it('cover crops the centre, contain letterboxes in black, fill stretches', async () => {
    // 16×8: a red quarter, a green half, a blue quarter, left to right
    const pixels = Buffer.alloc(16 * 8 * 3)
    for (let i = 0; i < 16 * 8; i++) pixels[i * 3 + (i % 16 < 4 ? 0 : i % 16 < 12 ? 1 : 2)] = 255
    const wide = await sharp(pixels, {raw: {width: 16, height: 8, channels: 3}})
      .png()
      .toBuffer()
    const at = async (resize: ImagePreprocessing['resize']) =>
      (await decodeImage(wide, {width: 4, height: 4, channels: 3, resize})).pixels
    // [red, green, blue] at the left and right ends of row `y`, each on or off (resampling blends a little)
    const ends = (image: Uint8Array, y: number) =>
      [0, 3].map((x) => [0, 1, 2].map((c) => (image[c * 16 + y * 4 + x] > 128 ? 255 : 0)))
    // the centre 8×8 is the green half
    expect(ends(await at('cover'), 0)).toEqual([
      [0, 255, 0],
      [0, 255, 0],
    ])
    // 4×2 between black bars
    const contain = await at('contain')
    expect(ends(contain, 0)).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ])
    expect(ends(contain, 1)).toEqual([
      [255, 0, 0],
      [0, 0, 255],
    ])
    expect(ends(await at('fill'), 0)).toEqual([
      [255, 0, 0],
      [0, 0, 255],
    ])
  })

  it('applies EXIF orientation, flattens transparency on white, reads grayscale as 1 or 3 channels', async () => {
    // stored 8 wide × 4 high, orientation 6 (rotate 90° clockwise to view): shown 4 wide × 8 high
    const rotated = await sharp(await halves(8, 4))
      .withMetadata({orientation: 6})
      .jpeg()
      .toBuffer()
    expect((await decodeImage(rotated, RGB_4)).facts).toMatchObject({format: 'jpeg', width: 4, height: 8})

    const clear = await sharp({create: {width: 2, height: 2, channels: 4, background: {r: 0, g: 0, b: 0, alpha: 0}}})
      .png()
      .toBuffer()
    expect([...(await decodeImage(clear, {...RGB_4, channels: 1})).pixels]).toEqual(new Array(16).fill(255))

    const gray = await sharp(Buffer.alloc(4, 100), {raw: {width: 2, height: 2, channels: 1}})
      .toColourspace('b-w')
      .png()
      .toBuffer()
    const asRgb = await decodeImage(gray, RGB_4)
    expect(asRgb.facts.grayscale).toBe(true)
    expect([...asRgb.pixels]).toEqual(new Array(48).fill(100))
  })

  it('reads WebP, GIF (first frame), TIFF and AVIF', async () => {
    const png = await halves(8, 8)
    for (const format of ['webp', 'gif', 'tiff', 'avif'] as const) {
      const bytes = await sharp(png).toFormat(format).toBuffer()
      const {facts, pixels} = await decodeImage(bytes, RGB_4)
      expect(facts.format, format).toBe(format)
      expect(pixels[0], format).toBeGreaterThan(200) // red, top left
    }
  })

  it('names what is wrong with a bad file', async () => {
    const png = await halves(8, 8)
    const jpeg = await sharp(png).jpeg().toBuffer()
    expect(await problemOf(new Uint8Array())).toBe('empty: is empty (0 bytes)')
    expect(await problemOf(Buffer.from('BM\0\0\0\0\0\0\0\0'))).toMatch(/^unsupported: is a BMP image; mlctl reads JPEG/)
    expect(await problemOf(Buffer.from('Thumbs.db is not an image at all'))).toMatch(/^unsupported: is not an image/)
    expect(await problemOf(png.subarray(0, png.length - 20))).toBe('truncated: is a truncated PNG file (it ends early)')
    expect(await problemOf(jpeg.subarray(0, jpeg.length / 2))).toBe(
      'truncated: is a truncated JPEG file (it ends early)',
    )
    const scrambled = Buffer.from(png)
    scrambled.fill(7, 40, png.length - 12)
    expect(await problemOf(scrambled)).toMatch(/^undecodable: cannot be decoded as PNG/)
    expect(await problemOf(png, {maxPixels: 63})).toBe(
      'too-many-pixels: is 8×8 pixels, over the limit of 63 (refused as a possible decompression bomb)',
    )
  })
})

describe('parseImageSize', () => {
  it('reads N and WxH, refuses the rest', () => {
    expect(parseImageSize('32')).toEqual({width: 32, height: 32})
    expect(parseImageSize('48x32')).toEqual({width: 48, height: 32})
    for (const bad of ['0', '32x', 'x32', '-4', '1.5', '99999', 'big']) expect(parseImageSize(bad), bad).toBeUndefined()
  })
})

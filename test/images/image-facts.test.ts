import sharp, {type Sharp} from 'sharp'
import {describe, expect, it} from 'vitest'

import {readImageFacts} from '../../src/core/images/decode-raw.js'

/** A 6 wide × 4 high image with `channels` bands of a gradient, so that encoders keep every band. */
function gradient(channels: 1 | 2 | 3 | 4): Sharp {
  const pixels = Buffer.alloc(6 * 4 * channels)
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37) % 256
  return sharp(pixels, {raw: {width: 6, height: 4, channels}})
}

/** What sharp's metadata() says, in readImageFacts's terms (size after EXIF orientation). */
async function sharpFacts(bytes: Buffer) {
  const metadata = await sharp(bytes).metadata()
  return {
    format: metadata.format,
    width: metadata.autoOrient?.width ?? metadata.width,
    height: metadata.autoOrient?.height ?? metadata.height,
    grayscale: metadata.channels <= 2,
  }
}

describe('readImageFacts', () => {
  // PNG and JPEG headers are read by mlctl's own decoders, the other formats by sharp
  const files: Array<[string, () => Promise<Buffer>]> = [
    ['gray PNG', () => gradient(1).toColourspace('b-w').png().toBuffer()],
    ['gray + alpha PNG', () => gradient(2).toColourspace('b-w').png().toBuffer()],
    ['RGB PNG', () => gradient(3).png().toBuffer()],
    ['RGBA PNG', () => gradient(4).png().toBuffer()],
    ['16-bit RGB PNG', () => gradient(3).toColourspace('rgb16').png().toBuffer()],
    ['interlaced PNG', () => gradient(3).png({progressive: true}).toBuffer()],
    ['palette PNG', () => gradient(3).png({palette: true}).toBuffer()],
    ['palette PNG with transparency', () => gradient(4).png({palette: true}).toBuffer()],
    ['PNG with EXIF orientation 6', () => gradient(3).withMetadata({orientation: 6}).png().toBuffer()],
    ['gray JPEG', () => gradient(1).toColourspace('b-w').jpeg().toBuffer()],
    ['RGB JPEG', () => gradient(3).jpeg().toBuffer()],
    ['progressive JPEG', () => gradient(3).jpeg({progressive: true}).toBuffer()],
    ['JPEG with an ICC profile', () => gradient(3).withIccProfile('p3').jpeg().toBuffer()],
    ['JPEG with EXIF orientation 6', () => gradient(3).withMetadata({orientation: 6}).jpeg().toBuffer()],
    ['CMYK JPEG', () => gradient(3).toColourspace('cmyk').jpeg().toBuffer()],
    ['WebP', () => gradient(3).webp().toBuffer()],
    ['TIFF with EXIF orientation 8', () => gradient(1).withMetadata({orientation: 8}).tiff().toBuffer()],
  ]
  for (const [name, make] of files)
    it(`reads a ${name} as sharp's metadata() does`, async () => {
      const bytes = await make()
      expect(await readImageFacts(bytes)).toEqual(await sharpFacts(bytes))
    })

  it('shows orientation 6 turned: the stored 6×4 image is 4 wide', async () => {
    const bytes = await gradient(3).withMetadata({orientation: 6}).jpeg().toBuffer()
    expect(await readImageFacts(bytes)).toMatchObject({width: 4, height: 6})
  })

  it('names a header cut short', async () => {
    const png = await gradient(3).png().toBuffer()
    const jpeg = await gradient(3).jpeg().toBuffer()
    await expect(readImageFacts(png.subarray(0, 20))).rejects.toThrow(/is a truncated PNG file/)
    await expect(readImageFacts(jpeg.subarray(0, 20))).rejects.toThrow(/is a truncated JPEG file/)
  })
})

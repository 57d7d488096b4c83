import sharp, {type Sharp} from 'sharp'
import {describe, expect, it} from 'vitest'

import {readHeaderFacts} from '../../src/core/images/image-header.js'

/** A 6 wide × 4 high image with `channels` bands of a gradient, so that encoders keep every band. */
function gradient(channels: 1 | 2 | 3 | 4): Sharp {
  const pixels = Buffer.alloc(6 * 4 * channels)
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37) % 256
  return sharp(pixels, {raw: {width: 6, height: 4, channels}})
}

/** What sharp's metadata() says, in readHeaderFacts's terms (size after EXIF orientation). */
async function sharpFacts(bytes: Buffer) {
  const metadata = await sharp(bytes).metadata()
  return {
    width: metadata.autoOrient?.width ?? metadata.width,
    height: metadata.autoOrient?.height ?? metadata.height,
    channels: metadata.channels,
  }
}

describe('readHeaderFacts', () => {
  // files the reader answers alone: the common PNG and JPEG kinds
  const answered: Array<[string, () => Promise<Buffer>]> = [
    ['gray PNG', () => gradient(1).toColourspace('b-w').png().toBuffer()],
    ['gray + alpha PNG', () => gradient(2).toColourspace('b-w').png().toBuffer()],
    ['RGB PNG', () => gradient(3).png().toBuffer()],
    ['RGBA PNG', () => gradient(4).png().toBuffer()],
    ['16-bit RGB PNG', () => gradient(3).toColourspace('rgb16').png().toBuffer()],
    ['interlaced PNG', () => gradient(3).png({progressive: true}).toBuffer()],
    ['gray JPEG', () => gradient(1).toColourspace('b-w').jpeg().toBuffer()],
    ['RGB JPEG', () => gradient(3).jpeg().toBuffer()],
    ['progressive JPEG', () => gradient(3).jpeg({progressive: true}).toBuffer()],
    ['JPEG with an ICC profile', () => gradient(3).withIccProfile('p3').jpeg().toBuffer()],
  ]
  for (const [name, make] of answered)
    it(`reads a ${name} as sharp's metadata() does`, async () => {
      const bytes = await make()
      const format = name.includes('PNG') ? 'png' : 'jpeg'
      expect(readHeaderFacts(format, bytes)).toEqual(await sharpFacts(bytes))
    })

  // files it leaves to sharp (undefined), or answers the same as sharp
  const deferred: Array<[string, () => Promise<Buffer>]> = [
    ['palette PNG', () => gradient(3).png({palette: true}).toBuffer()],
    ['palette PNG with transparency', () => gradient(4).png({palette: true}).toBuffer()],
    ['PNG with EXIF orientation 6', () => gradient(3).withMetadata({orientation: 6}).png().toBuffer()],
    ['JPEG with EXIF orientation 6', () => gradient(3).withMetadata({orientation: 6}).jpeg().toBuffer()],
    ['CMYK JPEG', () => gradient(3).toColourspace('cmyk').jpeg().toBuffer()],
  ]
  for (const [name, make] of deferred)
    it(`leaves a ${name} to sharp or agrees with it`, async () => {
      const bytes = await make()
      const format = name.includes('PNG') ? 'png' : 'jpeg'
      const facts = readHeaderFacts(format, bytes)
      if (facts !== undefined) expect(facts).toEqual(await sharpFacts(bytes))
      // orientation 6 shows the 6×4 image 4 wide: only sharp's answer has that
      if (name.includes('orientation')) expect(facts).toBeUndefined()
    })

  it('leaves other formats and headers cut short to sharp', async () => {
    const png = await gradient(3).png().toBuffer()
    const jpeg = await gradient(3).jpeg().toBuffer()
    expect(readHeaderFacts('webp', await gradient(3).webp().toBuffer())).toBeUndefined()
    expect(readHeaderFacts('png', png.subarray(0, 20))).toBeUndefined()
    expect(readHeaderFacts('jpeg', jpeg.subarray(0, 20))).toBeUndefined()
  })
})

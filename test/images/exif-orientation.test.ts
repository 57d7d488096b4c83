import sharp from 'sharp'
import {describe, expect, it} from 'vitest'

import {decodeRawImage} from '../../src/core/images/decode-raw.js'

/** 16 wide × 8 high, gray, four flat 8×4 blocks of different values: what turns where is plain to see. */
async function quadrants(orientation: number, format: 'jpeg' | 'png'): Promise<Buffer> {
  const pixels = Buffer.alloc(16 * 8)
  for (let y = 0; y < 8; y++)
    for (let x = 0; x < 16; x++) pixels[y * 16 + x] = [30, 90, 160, 230][(y >> 2) * 2 + (x >> 3)]
  const image = sharp(pixels, {raw: {width: 16, height: 8, channels: 1}})
    .toColourspace('b-w')
    .withMetadata({orientation})
  return format === 'jpeg' ? image.jpeg({quality: 100}).toBuffer() : image.png().toBuffer()
}

describe('EXIF orientation', () => {
  for (const format of ['jpeg', 'png'] as const)
    it(`turns a ${format.toUpperCase()} upright for each of the 8 orientations, as sharp's rotate() does`, async () => {
      for (let orientation = 1; orientation <= 8; orientation++) {
        const bytes = await quadrants(orientation, format)
        const ours = await decodeRawImage(bytes)
        const {data, info} = await sharp(bytes).rotate().toColourspace('b-w').raw().toBuffer({resolveWithObject: true})
        expect([ours.image.width, ours.image.height], `orientation ${orientation}`).toEqual([info.width, info.height])
        expect([ours.facts.width, ours.facts.height]).toEqual([info.width, info.height])
        // the blocks survive a quality-100 JPEG to within a level or two
        const gray = ours.image.channels === 1 ? ours.image.data : ours.image.data.filter((_, i) => i % 3 === 0)
        gray.forEach((value, i) =>
          expect(Math.abs(value - data[i]), `orientation ${orientation} pixel ${i}`).toBeLessThanOrEqual(3),
        )
      }
    })
})

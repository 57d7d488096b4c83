import sharp from 'sharp'
import {describe, expect, it} from 'vitest'

import {DecodePool} from '../../src/core/images/decode-pool.js'
import {decodeImage} from '../../src/core/images/image-preprocessing.js'

const RGB_8 = {width: 8, height: 8, channels: 3 as const, resize: 'cover' as const}

async function gradientPng(seed: number): Promise<Buffer> {
  const pixels = Buffer.alloc(12 * 9 * 3)
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * seed) % 256
  return sharp(pixels, {raw: {width: 12, height: 9, channels: 3}})
    .png()
    .toBuffer()
}

describe('DecodePool', () => {
  it('decodes on its threads to exactly what decodeImage gives, files and bytes, bad ones named', async () => {
    const pool = new DecodePool(2)
    try {
      const images = await Promise.all([3, 5, 7, 11, 13].map(gradientPng))
      const outcomes = await Promise.all(images.map((bytes) => pool.decode({source: {bytes}, preprocessing: RGB_8})))
      for (const [i, outcome] of outcomes.entries()) expect(outcome).toEqual(await decodeImage(images[i], RGB_8))
      expect(await pool.decode({source: {path: '/no/such/file.png'}, preprocessing: RGB_8})).toEqual({
        problem: 'undecodable',
        message: 'cannot be read (ENOENT)',
      })
      expect(await pool.decode({source: {bytes: images[0].subarray(0, 30)}, preprocessing: RGB_8})).toEqual({
        problem: 'truncated',
        message: 'is a truncated PNG file (it ends early)',
      })
    } finally {
      await pool.close()
    }
  })

  it("decodeEach tells each job's outcome by its index, sizes mixed in one batch", async () => {
    const pool = new DecodePool(2)
    try {
      const images = await Promise.all([3, 5, 7, 11, 13, 17, 19].map(gradientPng))
      const sizes = [RGB_8, {...RGB_8, width: 5, height: 3, channels: 1 as const}]
      const jobs = images.map((bytes, i) => ({source: {bytes}, preprocessing: sizes[i % 2]}))
      const heard = new Map<number, unknown>()
      await pool.decodeEach(jobs, (index, outcome) => heard.set(index, outcome))
      expect([...heard.keys()].sort()).toEqual([0, 1, 2, 3, 4, 5, 6])
      for (const [i, bytes] of images.entries()) expect(heard.get(i)).toEqual(await decodeImage(bytes, sizes[i % 2]))
      await expect(pool.decodeEach([], () => {})).resolves.toBeUndefined()
    } finally {
      await pool.close()
    }
  })

  it('closes cleanly: unanswered jobs are rejected, later ones refused', async () => {
    const pool = new DecodePool(1)
    const bytes = await gradientPng(3)
    await pool.decode({source: {bytes}, preprocessing: RGB_8})
    const pending = expect(pool.decode({source: {bytes}, preprocessing: RGB_8})).rejects.toThrow(/closed/)
    await pool.close()
    await pending
    await expect(pool.decode({source: {bytes}, preprocessing: RGB_8})).rejects.toThrow(/closed/)
  })
})

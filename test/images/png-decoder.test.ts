import {deflateSync} from 'node:zlib'

import sharp from 'sharp'
import {describe, expect, it} from 'vitest'

import {decodePng, readPngHeader} from '../../src/core/images/png-decoder.js'

const W = 13
const H = 7

/** CRC-32 as PNG uses it, written independently of the decoder's. */
function crc(bytes: Buffer): number {
  let c = 0xffffffff
  for (const byte of bytes) {
    c ^= byte
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  }
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(data.length)
  head.write(type, 4, 'latin1')
  const tail = Buffer.alloc(4)
  tail.writeUInt32BE(crc(Buffer.concat([head.subarray(4), data])))
  return Buffer.concat([head, data, tail])
}

const SAMPLES: Record<number, number> = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}

/**
 * A W×H PNG of colour type `type` at `depth` whose samples are a pattern, every row filtered with `filter`
 * (0-4; 5 cycles through all five), plus extra chunks (PLTE, tRNS) before the image data.
 */
function makePng(type: number, depth: number, filter: number, extra: Buffer[] = []): Buffer {
  const perPixel = SAMPLES[type]
  const rowBytes = Math.ceil((W * perPixel * depth) / 8)
  const bpp = Math.max(1, (perPixel * depth) >> 3)
  const raw = Buffer.alloc(rowBytes * H)
  const max = Math.min(type === 3 ? 5 : Infinity, 2 ** depth - 1)
  for (let y = 0; y < H; y++)
    for (let i = 0; i < W * perPixel; i++) {
      const value = ((y * 31 + i * 17 + ((y * i) % 7)) * (depth === 16 ? 2027 : 1)) % (max + 1)
      const bit = i * depth
      if (depth === 16) raw.writeUInt16BE(value, y * rowBytes + i * 2)
      else raw[y * rowBytes + (bit >> 3)] |= value << (8 - depth - (bit % 8))
    }
  const filtered: number[] = []
  for (let y = 0; y < H; y++) {
    const kind = filter === 5 ? y % 5 : filter
    filtered.push(kind)
    for (let i = 0; i < rowBytes; i++) {
      const x = raw[y * rowBytes + i]
      const a = i >= bpp ? raw[y * rowBytes + i - bpp] : 0
      const b = y > 0 ? raw[(y - 1) * rowBytes + i] : 0
      const c = i >= bpp && y > 0 ? raw[(y - 1) * rowBytes + i - bpp] : 0
      const p = a + b - c
      const predictor = [
        0,
        a,
        b,
        (a + b) >> 1,
        Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c)
          ? a
          : Math.abs(p - b) <= Math.abs(p - c)
            ? b
            : c,
      ][kind]
      filtered.push((x - predictor) & 0xff)
    }
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(W, 0)
  ihdr.writeUInt32BE(H, 4)
  ihdr[8] = depth
  ihdr[9] = type
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...extra,
    chunk('IDAT', deflateSync(Buffer.from(filtered))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

/**
 * sharp's lossless decode as RGB or RGBA (sharp's bands for gray + alpha), 8 bits per sample: 16-bit samples
 * by their high byte.
 */
async function sharpPixels(bytes: Buffer): Promise<{channels: number; data: number[]}> {
  const metadata = await sharp(bytes).metadata()
  const wide = metadata.depth === 'ushort'
  const {data, info} = await sharp(bytes)
    .toColourspace(wide ? 'rgb16' : 'srgb')
    .raw({depth: wide ? 'ushort' : 'uchar'})
    .toBuffer({resolveWithObject: true})
  const values = wide ? Array.from({length: data.length / 2}, (_, i) => data.readUInt16LE(2 * i) >> 8) : [...data]
  return {channels: metadata.channels <= 2 ? info.channels - 2 : info.channels, data: values}
}

/** Ours as RGB or RGBA: gray repeated. */
function asRgb({channels, data}: {channels: number; data: Uint8Array}): number[] {
  if (channels >= 3) return [...data]
  const out: number[] = []
  for (let i = 0; i < data.length; i += channels)
    out.push(data[i], data[i], data[i], ...data.subarray(i + 1, i + channels))
  return out
}

async function expectSharpPixels(bytes: Buffer, label: string): Promise<void> {
  const decoded = decodePng(bytes, () => {})
  const expected = await sharpPixels(bytes)
  expect(decoded.channels, label).toBe(expected.channels)
  expect(asRgb(decoded), label).toEqual(expected.data)
}

const PALETTE = chunk('PLTE', Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 99, 199, 128, 128, 128, 1, 2, 3]))

describe('decodePng', () => {
  for (const filter of [0, 1, 2, 3, 4, 5])
    it(`reverses filter ${filter === 5 ? 'of every kind, row by row' : filter} in RGB, RGBA and 16-bit gray`, async () => {
      await expectSharpPixels(makePng(2, 8, filter), 'RGB')
      await expectSharpPixels(makePng(6, 8, filter), 'RGBA')
      await expectSharpPixels(makePng(0, 16, filter), '16-bit gray')
    })

  it('reads every colour type and bit depth the format allows', async () => {
    const kinds: Array<[number, number]> = [
      [0, 1],
      [0, 2],
      [0, 4],
      [0, 8],
      [0, 16],
      [2, 8],
      [2, 16],
      [4, 8],
      [4, 16],
      [6, 8],
      [6, 16],
    ]
    for (const [type, depth] of kinds) await expectSharpPixels(makePng(type, depth, 5), `type ${type} depth ${depth}`)
    for (const depth of [1, 2, 4, 8]) {
      await expectSharpPixels(makePng(3, depth, 5, [PALETTE]), `palette depth ${depth}`)
    }
    // a pixel naming an entry past the palette's end
    expect(() => decodePng(makePng(3, 8, 5, [chunk('PLTE', Buffer.from([1, 2, 3]))]), () => {})).toThrow(
      /palette entry/,
    )
  })

  it('makes tRNS an alpha channel: palette entries, a gray key, an RGB key', async () => {
    await expectSharpPixels(makePng(3, 8, 5, [PALETTE, chunk('tRNS', Buffer.from([0, 128, 255]))]), 'palette')
    await expectSharpPixels(makePng(0, 8, 5, [chunk('tRNS', Buffer.from([0, 31]))]), 'gray key')
    await expectSharpPixels(makePng(2, 8, 5, [chunk('tRNS', Buffer.from([0, 31, 0, 48, 0, 65]))]), 'RGB key')
  })

  it('reads the files sharp writes: palette, interlaced (Adam7), 16-bit, gray + alpha', async () => {
    const pixels = Buffer.alloc(29 * 19 * 4)
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 53) % 256
    const image = () => sharp(pixels, {raw: {width: 29, height: 19, channels: 4}})
    await expectSharpPixels(await image().png({palette: true}).toBuffer(), 'palette')
    await expectSharpPixels(await image().png({progressive: true}).toBuffer(), 'interlaced RGBA')
    await expectSharpPixels(await image().removeAlpha().png({progressive: true}).toBuffer(), 'interlaced RGB')
    await expectSharpPixels(await image().toColourspace('b-w').png({progressive: true}).toBuffer(), 'interlaced GA')
    await expectSharpPixels(
      await image().png({palette: true, colours: 4, progressive: true}).toBuffer(),
      'interlaced 2-bit',
    )
    await expectSharpPixels(await image().toColourspace('rgb16').png().toBuffer(), '16-bit RGBA')
  })

  it('checks CRCs, refuses a damaged or cut file, and reports the size before inflating', () => {
    const good = makePng(2, 8, 5)
    const damaged = Buffer.from(good)
    damaged[40] ^= 1
    expect(() => decodePng(damaged, () => {})).toThrow(/fails its CRC check/)
    expect(() => decodePng(good.subarray(0, good.length - 20), () => {})).toThrow(/IEND|past the end/)
    expect(() =>
      decodePng(good, (header) => {
        throw new Error(`refused ${header.width}×${header.height}`)
      }),
    ).toThrow('refused 13×7')
    expect(readPngHeader(good)).toMatchObject({width: W, height: H, channels: 3, interlaced: false})
  })
})

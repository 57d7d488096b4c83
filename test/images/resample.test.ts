import {describe, expect, it} from 'vitest'

import {preprocessRawImage} from '../../src/core/images/image-preprocessing.js'
import type {RawImage} from '../../src/core/images/raw-image.js'
import {resampleBilinear} from '../../src/core/images/resample.js'

function image(width: number, height: number, channels: number, value: (x: number, y: number, c: number) => number) {
  const data = new Uint8Array(width * height * channels)
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c] = value(x, y, c)
  return {width, height, channels, data} satisfies RawImage
}

describe('resampleBilinear', () => {
  it('gives the same pixels at the same size', () => {
    const noise = image(7, 5, 3, (x, y, c) => (x * 97 + y * 31 + c * 61) % 256)
    expect([...resampleBilinear(noise, 7, 5).data]).toEqual([...noise.data])
  })

  it('averages 2×2 into 1×1, and every pixel counts when shrinking by 4', () => {
    expect([
      ...resampleBilinear(
        image(2, 2, 1, (x, y) => 10 + 10 * x + 20 * y),
        1,
        1,
      ).data,
    ]).toEqual([25])
    // a single bright pixel in a 4×4 block still shows in its 1×1 (a plain bilinear tap would miss it)
    expect(
      resampleBilinear(
        image(4, 4, 1, (x, y) => (x === 0 && y === 0 ? 255 : 0)),
        1,
        1,
      ).data[0],
    ).toBeGreaterThan(0)
  })

  it('keeps a flat image flat at any size, and a box of whole pixels at scale 1 copies them', () => {
    const flat = image(9, 6, 3, (_x, _y, c) => [12, 140, 250][c])
    const bigger = resampleBilinear(flat, 20, 13)
    const smaller = resampleBilinear(flat, 4, 3)
    for (const out of [bigger, smaller])
      for (let i = 0; i < out.data.length; i++) expect(out.data[i]).toBe([12, 140, 250][i % 3])
    const columns = image(16, 8, 1, (x) => x * 10)
    const box = resampleBilinear(columns, 8, 8, {left: 4, top: 0, right: 12, bottom: 8})
    expect([...box.data.subarray(0, 8)]).toEqual([40, 50, 60, 70, 80, 90, 100, 110])
  })

  it('cover scales the centred box of the output shape; contain pads with black; fill stretches', () => {
    // 16×8: columns 0-3 black, 4-11 white, 12-15 black
    const wide = image(16, 8, 1, (x) => (x >= 4 && x < 12 ? 255 : 0))
    const options = {width: 4, height: 4, channels: 1 as const}
    const cover = preprocessRawImage(wide, {...options, resize: 'cover'})
    expect([...cover]).toEqual([...resampleBilinear(wide, 4, 4, {left: 4, top: 0, right: 12, bottom: 8}).data])
    // the two middle columns are the white centre; the edges take a little of the black beside the box
    expect([cover[1], cover[2]]).toEqual([255, 255])
    expect(cover[0]).toBeGreaterThan(128)
    const contain = preprocessRawImage(wide, {...options, resize: 'contain'})
    // 16×8 fits as 4×2, rows 1 and 2, black rows above and below
    expect([...contain.subarray(0, 4)]).toEqual([0, 0, 0, 0])
    expect([...contain.subarray(12, 16)]).toEqual([0, 0, 0, 0])
    expect([...contain.subarray(4, 12)]).toEqual([...resampleBilinear(wide, 4, 2).data])
    expect([...preprocessRawImage(wide, {...options, resize: 'fill'})]).toEqual([...resampleBilinear(wide, 4, 4).data])
  })

  it('makes gray by ITU-R 601-2 luma and flattens alpha on white before resizing', () => {
    const rgba = image(1, 1, 4, (_x, _y, c) => [200, 100, 50, 255][c])
    // 200·0.299 + 100·0.587 + 50·0.114 = 124.2
    expect([...preprocessRawImage(rgba, {width: 1, height: 1, channels: 1, resize: 'fill'})]).toEqual([124])
    const halfClear = image(1, 1, 2, (_x, _y, c) => [0, 128][c])
    expect([...preprocessRawImage(halfClear, {width: 1, height: 1, channels: 3, resize: 'fill'})]).toEqual([
      127, 127, 127,
    ])
  })
})

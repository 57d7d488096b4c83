import {mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import sharp from 'sharp'
import {afterAll, describe, expect, it} from 'vitest'

import type {Dataset} from '../../src/core/data/dataset.js'
import {type ImageFolderOptions, type ImageFolderProgress, loadImageFolder} from '../../src/core/data/image-folder.js'
import {loadDataPath} from '../../src/core/data/load-data-path.js'
import {SAMPLE, writeDigits} from '../images/digit-folder.js'

const tmp = mkdtempSync(join(tmpdir(), 'mlctl-image-folder-'))
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

let serial = 0
/** A fresh folder and cache directory for each case. */
function fresh(): {dir: string; cacheDir: string} {
  serial++
  return {dir: join(tmp, `folder-${serial}`), cacheDir: join(tmp, `cache-${serial}`)}
}

/** Loads a folder and records how many images it decoded (rather than took from the cache). */
async function load(dir: string, options: ImageFolderOptions): Promise<Dataset & {decoded: number}> {
  let decoded = 0
  const dataset = await loadImageFolder(dir, {
    ...options,
    onProgress: (event: ImageFolderProgress) => {
      if (event.phase === 'decoding') decoded = event.done
    },
  })
  return {...dataset, decoded}
}

async function failure(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'no error',
    (error: Error) => `${error.name}: ${error.message}`,
  )
}

function png(width: number, height: number, channels: 1 | 3 = 3, value = 128): Promise<Buffer> {
  const image = sharp(Buffer.alloc(width * height * channels, value), {raw: {width, height, channels}})
  return (channels === 1 ? image.toColourspace('b-w') : image).png().toBuffer()
}

describe('image folders', () => {
  it('reads class folders of PNG and JPEG as the digits they were written from, 20% of each class held out', async () => {
    const {dir, cacheDir} = fresh()
    await writeDigits(dir, SAMPLE.train, {to: 200, jpegEvery: 5})
    const dataset = await load(dir, {cacheDir})
    expect(dataset.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
    expect(dataset.inputShape).toEqual([1, 28, 28])
    expect(dataset.imagePreprocessing).toEqual({width: 28, height: 28, channels: 1, resize: 'cover'})
    expect(dataset.imageFolder?.chosen).toBe(
      'size 28×28: the most common size (--image-size); 1 channel: every image is grayscale (--channels)',
    )
    expect(dataset.train.count + dataset.test!.count).toBe(200)
    // each class: round(20%) of its images in test
    const perClass = (targets: Uint8Array | Float32Array) =>
      Array.from({length: 10}, (_, c) => targets.filter((t) => t === c).length)
    const all = perClass(SAMPLE.train.targets.subarray(0, 200))
    expect(perClass(dataset.test!.targets)).toEqual(all.map((n) => Math.round(n * 0.2)))

    // every PNG (even index) decodes to exactly the embedded pixels; JPEG is close
    const source = new Map<string, number>()
    for (let i = 0; i < 200; i++) source.set(SAMPLE.train.inputs.subarray(i * 784, (i + 1) * 784).join(), i)
    let exact = 0
    for (const split of [dataset.train, dataset.test!])
      for (let k = 0; k < split.count; k++) {
        const index = source.get(split.inputs.subarray(k * 784, (k + 1) * 784).join())
        if (index === undefined) continue
        exact++
        expect(split.targets[k]).toBe(SAMPLE.train.targets[index])
      }
    expect(exact).toBe(160)
  })

  it('uses top-level train/ and test/ folders as the splits', async () => {
    const {dir, cacheDir} = fresh()
    await writeDigits(join(dir, 'train'), SAMPLE.train, {to: 60})
    await writeDigits(join(dir, 'test'), SAMPLE.test!, {to: 30})
    const dataset = await loadDataPath(dir, {images: {cacheDir, size: {width: 14, height: 14}, channels: 3}})
    expect([dataset.train.count, dataset.test?.count]).toEqual([60, 30])
    expect(dataset.inputShape).toEqual([3, 14, 14])
    expect(dataset.imageFolder?.chosen).toBeUndefined()
  })

  it('picks the most common size scaled to fit 64×64, and 3 channels when any image has colour', async () => {
    const {dir, cacheDir} = fresh()
    for (const [name, bytes] of [
      ['a/1.png', await png(200, 100)],
      ['a/2.png', await png(200, 100, 1)],
      ['b/1.png', await png(200, 100, 1)],
      ['b/2.png', await png(30, 30, 1)],
    ] as const) {
      mkdirSync(join(dir, name, '..'), {recursive: true})
      writeFileSync(join(dir, name), bytes)
    }
    const dataset = await load(dir, {cacheDir, testFraction: 0})
    expect(dataset.imagePreprocessing).toEqual({width: 64, height: 32, channels: 3, resize: 'cover'})
    expect(dataset.imageFolder?.chosen).toBe(
      'size 64×32: the most common size 200×100 scaled to fit 64×64 (--image-size); 3 channels (--channels)',
    )
    expect(dataset.test).toBeUndefined()
  })

  it('decodes only new and changed files on a later run, and forgets removed ones', async () => {
    const {dir, cacheDir} = fresh()
    await writeDigits(dir, SAMPLE.train, {to: 100})
    const options = {cacheDir, size: {width: 28, height: 28}, channels: 1 as const}
    const first = await load(dir, options)
    expect(first.decoded).toBe(100)

    const again = await load(dir, options)
    expect([again.decoded, again.imageFolder?.cached]).toEqual([0, 100])
    expect(again.train.inputs).toEqual(first.train.inputs)

    // another preprocessing is decoded apart, and does not evict the first
    expect((await load(dir, {...options, resize: 'contain'})).decoded).toBe(100)
    expect((await load(dir, options)).decoded).toBe(0)

    const digit = String(SAMPLE.train.targets[0])
    // a changed file (new content and mtime), an added one and a removed one
    writeFileSync(join(dir, digit, '00000.png'), await png(28, 28, 1, 255))
    utimesSync(join(dir, digit, '00000.png'), new Date(), new Date(Date.now() + 5000))
    writeFileSync(join(dir, digit, 'added.png'), await png(28, 28, 1, 0))
    rmSync(join(dir, String(SAMPLE.train.targets[1]), '00001.png'))
    const changed = await load(dir, options)
    expect([changed.decoded, changed.imageFolder?.cached, changed.imageFolder?.images]).toEqual([2, 98, 100])
    const all = [changed.train, changed.test!].flatMap((s) =>
      Array.from({length: s.count}, (_, k) => s.inputs[k * 784]),
    )
    expect(all).toContain(255)
    expect((await load(dir, options)).decoded).toBe(0)
  })

  it('skips and names bad files, ignores non-images, and --strict stops on the first', async () => {
    const {dir, cacheDir} = fresh()
    await writeDigits(dir, SAMPLE.train, {to: 100, jpegEvery: 2})
    const good = readFileSync(join(dir, String(SAMPLE.train.targets[0]), '00000.jpg'))
    const bad: Array<[string, Uint8Array | string]> = [
      ['1/empty.png', new Uint8Array()],
      ['2/cut.jpg', good.subarray(0, good.length / 2)],
      ['3/text.png', 'not a picture'],
      ['4/old.bmp', 'BM\0\0\0\0'],
      ['5/huge.png', await png(300, 300, 1)],
      ['3/.DS_Store', 'x'],
      ['Thumbs.db', 'x'],
      ['6/notes.txt', 'x'],
    ]
    for (const [path, bytes] of bad) {
      mkdirSync(join(dir, path, '..'), {recursive: true})
      writeFileSync(join(dir, path), bytes)
    }
    const dataset = await load(dir, {cacheDir, size: {width: 28, height: 28}, maxPixels: 50_000})
    const summary = dataset.imageFolder!
    expect(summary.images).toBe(100)
    expect(summary.skipped.count).toBe(5)
    expect(summary.skipped.first).toEqual([
      {path: '1/empty.png', problem: 'is empty (0 bytes)'},
      {path: '2/cut.jpg', problem: 'is a truncated JPEG file (it ends early)'},
      {path: '3/text.png', problem: 'is not an image mlctl reads; mlctl reads JPEG, PNG, WebP, GIF, TIFF and AVIF'},
    ])
    expect(summary.notes).toEqual(['3 non-image files ignored (Thumbs.db, .DS_Store, notes.txt)'])
    // the verdicts are cached too: a later run names the same files without decoding them
    const again = await load(dir, {cacheDir, size: {width: 28, height: 28}, maxPixels: 50_000})
    expect([again.decoded, again.imageFolder?.skipped.count]).toEqual([0, 5])

    expect(await failure(load(dir, {cacheDir, size: {width: 28, height: 28}, maxPixels: 50_000, strict: true}))).toBe(
      `UserError: 5 bad image files in ${dir} (--strict): 1/empty.png is empty (0 bytes)`,
    )
    // a decompression bomb, named
    const bomb = fresh()
    mkdirSync(join(bomb.dir, 'a'), {recursive: true})
    mkdirSync(join(bomb.dir, 'b'))
    writeFileSync(join(bomb.dir, 'a', 'small.png'), await png(28, 28))
    writeFileSync(join(bomb.dir, 'b', 'small.png'), await png(28, 28))
    writeFileSync(join(bomb.dir, 'b', 'huge.png'), await png(300, 300, 1))
    expect((await load(bomb.dir, {cacheDir: bomb.cacheDir, maxPixels: 50_000})).imageFolder?.skipped.first).toEqual([
      {
        path: 'b/huge.png',
        problem: 'is 300×300 pixels, over the limit of 50000 (refused as a possible decompression bomb)',
      },
    ])
  })

  it('explains a folder it cannot use in one line', async () => {
    const cases: Array<[string, (dir: string) => Promise<void> | void, RegExp]> = [
      [
        'missing',
        () => {},
        /does not exist; pass a CSV file or a folder with one subfolder of images or texts per class$/,
      ],
      [
        'no class folders',
        async (dir) => {
          mkdirSync(dir)
          writeFileSync(join(dir, 'a.png'), await png(4, 4))
        },
        /holds images but no class folders; put each class's images in a subfolder named after the class/,
      ],
      ['empty', (dir) => mkdirSync(dir), /holds no class folders of images/],
      [
        'one class',
        async (dir) => {
          mkdirSync(join(dir, 'cat'), {recursive: true})
          writeFileSync(join(dir, 'cat', 'a.png'), await png(4, 4))
        },
        /has one class folder \(cat\/\); a classifier needs at least two/,
      ],
      [
        'empty class',
        async (dir) => {
          await writeDigits(dir, SAMPLE.train, {to: 20})
          mkdirSync(join(dir, 'zebra'))
          writeFileSync(join(dir, 'zebra', '.DS_Store'), 'x')
        },
        /^UserError: class folder zebra\/ has no images mlctl reads; add JPEG, PNG, WebP, GIF, TIFF or AVIF files or remove the folder$/,
      ],
      [
        'class of bad files',
        async (dir) => {
          await writeDigits(dir, SAMPLE.train, {to: 20})
          mkdirSync(join(dir, 'zebra'))
          writeFileSync(join(dir, 'zebra', 'z.png'), '')
        },
        /class zebra in .* has no image that can be read \(every one was skipped\); fix or remove its files$/,
      ],
    ]
    for (const [name, make, message] of cases) {
      const {dir, cacheDir} = fresh()
      await make(dir)
      const error = await failure(loadDataPath(dir, {images: {cacheDir}}))
      expect(error, name).toMatch(/^UserError: /)
      expect(error, name).toMatch(message)
      expect(error, name).not.toContain('\n')
    }
  })

  it('does not follow a symbolic link back into the class folder', async () => {
    const {dir, cacheDir} = fresh()
    await writeDigits(dir, SAMPLE.train, {to: 20})
    symlinkSync('..', join(dir, '3', 'loop'))
    const dataset = await load(dir, {cacheDir})
    expect(dataset.imageFolder?.images).toBe(20)
    expect(dataset.imageFolder?.notes).toEqual([
      '3/loop not followed: a symbolic link back to a folder that contains it (a loop)',
    ])
  })
})

import {existsSync, readFileSync, realpathSync} from 'node:fs'

import {UserError} from '../errors.js'
import {decodePool} from '../images/decode-pool.js'
import {readImageFacts} from '../images/decode-raw.js'
import {ImageDecodeError, type ImageProblem} from '../images/image-decode-error.js'
import {exampleBytes, type ImagePreprocessing, type ResizeMode} from '../images/image-preprocessing.js'
import {adjacentRuns} from './adjacent-runs.js'
import type {Dataset, DataSplit} from './dataset.js'
import {type FileVerdict, ImageFolderCache} from './image-folder-cache.js'
import {plural, scanImageFolder, type ScannedFile} from './image-folder-scan.js'
import {seededPermutation} from './seeded-shuffle.js'

/** The held-out share of each class when the folder has no test/ folder (--test-split). */
export const DEFAULT_TEST_FRACTION = 0.2

/** The test split does not move with --seed, so that evaluate finds the same test images as train. */
const TEST_SPLIT_SEED = 15

/** The default size is the most common one, scaled down to fit this square: small enough to train on a CPU. */
const DEFAULT_MAX_SIDE = 64

/**
 * Headers read at once when picking the default size: PNG and JPEG headers are read here at once, the other
 * formats ask sharp, which works on libuv's thread pool (4 threads unless UV_THREADPOOL_SIZE says otherwise).
 */
const HEADER_CONCURRENCY = 8

/** A bad file's path and problem; the summary names the first few. */
const NAMED_BAD_FILES = 3

export interface ImageFolderOptions {
  /** --image-size; default: the most common size, capped at 64×64 */
  size?: {width: number; height: number}
  /** --channels; default: 3 unless every image is grayscale */
  channels?: 1 | 3
  /** --resize; default cover */
  resize?: ResizeMode
  /** A run's recorded preprocessing: overrides the three above, so evaluate and export read as train did. */
  preprocessing?: ImagePreprocessing
  /** --test-split, used when the folder has no test/ folder */
  testFraction?: number
  /** --strict: a bad file is an error instead of being skipped */
  strict?: boolean
  /** The data cache directory; the decoded images go in its image-folders/ */
  cacheDir: string
  maxPixels?: number
  onProgress?: (event: ImageFolderProgress) => void
}

/** Decoding progress: `done` of `total` images needed decoding (the cached ones are not counted). */
export interface ImageFolderProgress {
  phase: 'reading headers' | 'decoding'
  done: number
  total: number
}

/**
 * Reads a folder of class subfolders of images as a dataset: uint8 NCHW inputs and class-index targets.
 * Decoded images are cached per file, so a later run decodes only new and changed files.
 */
export async function loadImageFolder(folder: string, options: ImageFolderOptions): Promise<Dataset> {
  const started = performance.now()
  const cache = openFolderCache(folder, options.cacheDir)
  // a folder never read before will be decoded: its decoding threads start while its files are listed
  if (cache.isEmpty()) decodePool().warm()
  const scan = scanImageFolder(folder)
  const all = [...scan.train, ...(scan.test ?? [])]
  const maxPixels = options.maxPixels
  const verdicts = new Map<string, FileVerdict>()
  for (const file of all) {
    if (file.unsupported) {
      verdicts.set(file.path, {
        problem: 'unsupported',
        message: `is ${file.unsupported}; mlctl reads JPEG, PNG, WebP, GIF, TIFF and AVIF`,
      })
      continue
    }
    const cached = cache.verdict(file)
    if (cached) verdicts.set(file.path, cached)
  }

  const needsDefaults = !options.preprocessing && (options.size === undefined || options.channels === undefined)
  if (needsDefaults) {
    const unknown = all.filter((file) => !verdicts.has(file.path))
    await forEachConcurrently(
      unknown,
      async (file) => {
        const verdict = await verdictOf(file, async (bytes) => ({facts: await readImageFacts(bytes, maxPixels)}))
        verdicts.set(file.path, verdict)
        cache.setVerdict(file, verdict)
      },
      (done) => options.onProgress?.({phase: 'reading headers', done, total: unknown.length}),
    )
  }
  const {preprocessing, chosen} = choosePreprocessing(options, all, verdicts, folder)

  const cachedPixels = cache.readPack(
    preprocessing,
    all.filter((file) => !isProblem(verdicts.get(file.path))),
  )
  const pixels = new Map(cachedPixels)
  // in the order the splits list them, so that their pixels come back side by side, copied in runs (toSplit)
  const toDecode = all
    .filter((file) => !pixels.has(file.path) && !isProblem(verdicts.get(file.path)))
    .sort(listingOrder)
  await decodeAll(
    toDecode,
    preprocessing,
    maxPixels,
    (file, verdict, decoded) => {
      if (decoded) pixels.set(file.path, decoded)
      if (!verdicts.has(file.path) || isProblem(verdict)) cache.setVerdict(file, verdict)
      verdicts.set(file.path, verdict)
    },
    (done) => options.onProgress?.({phase: 'decoding', done, total: toDecode.length}),
  )

  const bad = all.filter((file) => isProblem(verdicts.get(file.path)))
  if (bad.length > 0 && options.strict) {
    const first = bad[0]
    throw new UserError(
      `${bad.length} bad image file${plural(bad.length)} in ${folder} (--strict): ${first.path} ${(verdicts.get(first.path) as {message: string}).message}`,
    )
  }
  const good = (files: ScannedFile[]) => files.filter((file) => pixels.has(file.path))
  const usable = good(all)
  if (toDecode.length > 0 || usable.length !== cachedPixels.size)
    cache.writePack(
      preprocessing,
      usable.map((file) => ({stamp: file, pixels: pixels.get(file.path)!})),
    )
  cache.saveVerdicts(new Set(all.map((file) => file.path)))
  checkEveryClassHasImages(scan.classNames, good(scan.train), folder)

  const split = (files: ScannedFile[]) => toSplit(files, pixels, preprocessing)
  let train: DataSplit
  let test: DataSplit | undefined
  if (scan.test) {
    train = split(good(scan.train))
    test = split(good(scan.test))
  } else {
    const held = holdOutPerClass(good(scan.train), scan.classNames, options.testFraction ?? DEFAULT_TEST_FRACTION)
    train = split(held.train)
    test = held.test.length > 0 ? split(held.test) : undefined
  }
  return {
    name: folder,
    task: 'classification',
    inputShape: [preprocessing.channels, preprocessing.height, preprocessing.width],
    classNames: scan.classNames,
    train,
    ...(test && {test}),
    imagePreprocessing: preprocessing,
    origin: {kind: 'local', location: folder, verified: `${usable.length} images decoded`},
    imageFolder: {
      folder,
      images: usable.length,
      preprocessing,
      ...(chosen && {chosen}),
      cached: cachedPixels.size,
      decoded: toDecode.length,
      seconds: (performance.now() - started) / 1000,
      skipped: {
        count: bad.length,
        first: bad.slice(0, NAMED_BAD_FILES).map((file) => ({
          path: file.path,
          problem: (verdicts.get(file.path) as {message: string}).message,
        })),
      },
      notes: scan.notes,
    },
  }
}

/** The folder's cache; a folder that is not there is named by the scan's own message. */
function openFolderCache(folder: string, cacheDir: string): ImageFolderCache {
  if (!existsSync(folder)) scanImageFolder(folder)
  return new ImageFolderCache(cacheDir, realpathSync(folder))
}

/**
 * Reads a file and runs `use` on its bytes; a read or decode failure becomes the file's problem. The read is
 * synchronous: an asynchronous one makes four trips (open, stat, read, close) through libuv's thread pool, the
 * same threads sharp reads headers on.
 */
async function verdictOf(file: ScannedFile, use: (bytes: Buffer) => Promise<FileVerdict>): Promise<FileVerdict> {
  try {
    return await use(readFileSync(file.absolute))
  } catch (error) {
    if (error instanceof ImageDecodeError) return {problem: error.problem, message: error.message}
    const code = (error as NodeJS.ErrnoException).code
    if (code !== undefined) return {problem: 'undecodable', message: `cannot be read (${code})`}
    throw error
  }
}

function isProblem(verdict: FileVerdict | undefined): verdict is {problem: ImageProblem; message: string} {
  return verdict !== undefined && 'problem' in verdict
}

/** The flags' values, else the defaults picked from the images' facts, and a phrase saying how. */
function choosePreprocessing(
  options: ImageFolderOptions,
  files: ScannedFile[],
  verdicts: Map<string, FileVerdict>,
  folder: string,
): {preprocessing: ImagePreprocessing; chosen?: string} {
  if (options.preprocessing) return {preprocessing: options.preprocessing}
  const facts = files.flatMap((file) => {
    const verdict = verdicts.get(file.path)
    return verdict && 'facts' in verdict ? [verdict.facts] : []
  })
  if (facts.length === 0 && (options.size === undefined || options.channels === undefined))
    throw new UserError(`${folder} has no image that can be read; every file was skipped as bad`)
  const chosen: string[] = []
  let size = options.size
  if (!size) {
    const counts = new Map<string, number>()
    for (const {width, height} of facts) counts.set(`${width}x${height}`, (counts.get(`${width}x${height}`) ?? 0) + 1)
    const [common] = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]
    const [width, height] = common.split('x').map(Number) as [number, number]
    const scale = Math.min(1, DEFAULT_MAX_SIDE / Math.max(width, height))
    size = {width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale))}
    chosen.push(
      `size ${size.width}×${size.height}: ${scale < 1 ? `the most common size ${width}×${height} scaled to fit ${DEFAULT_MAX_SIDE}×${DEFAULT_MAX_SIDE}` : 'the most common size'} (--image-size)`,
    )
  }
  let channels = options.channels
  if (!channels) {
    channels = facts.every((f) => f.grayscale) ? 1 : 3
    chosen.push(channels === 1 ? '1 channel: every image is grayscale (--channels)' : '3 channels (--channels)')
  }
  return {
    preprocessing: {...size, channels, resize: options.resize ?? 'cover'},
    ...(chosen.length > 0 && {chosen: chosen.join('; ')}),
  }
}

/** A class whose every image was skipped cannot be learned: say so rather than train an output on nothing. */
function checkEveryClassHasImages(classNames: string[], train: ScannedFile[], folder: string): void {
  const counts = new Array<number>(classNames.length).fill(0)
  for (const file of train) counts[file.classIndex]++
  const empty = counts.findIndex((count) => count === 0)
  if (empty >= 0)
    throw new UserError(
      `class ${classNames[empty]} in ${folder} has no image that can be read (every one was skipped); fix or remove its files`,
    )
}

/**
 * The same share of every class held out, by a fixed permutation of each class's files (in name order), so
 * the split is the same on every run and every machine.
 */
function holdOutPerClass(
  files: ScannedFile[],
  classNames: string[],
  fraction: number,
): {train: ScannedFile[]; test: ScannedFile[]} {
  const byClass: ScannedFile[][] = classNames.map(() => [])
  for (const file of files) byClass[file.classIndex].push(file)
  const test = new Set<ScannedFile>()
  for (const [classIndex, members] of byClass.entries()) {
    const held = Math.round(members.length * fraction)
    if (held >= members.length && held > 0)
      throw new UserError(
        `--test-split ${fraction} leaves class ${classNames[classIndex]} no training images; use a smaller fraction or add images`,
      )
    const order = seededPermutation(members.length, TEST_SPLIT_SEED)
    for (let i = 0; i < held; i++) test.add(members[order[i]])
  }
  return {train: files.filter((file) => !test.has(file)), test: files.filter((file) => test.has(file))}
}

/**
 * A split lists its images by their name below the class folder, then by class: the classes interleave (a
 * listing of one class after another would put a single class in any first few examples), and a folder
 * whose file names are unique lists in name order.
 */
function listingOrder(a: ScannedFile, b: ScannedFile): number {
  return a.nameInClass < b.nameInClass ? -1 : a.nameInClass > b.nameInClass ? 1 : a.classIndex - b.classIndex
}

function toSplit(listed: ScannedFile[], pixels: Map<string, Uint8Array>, options: ImagePreprocessing): DataSplit {
  const files = [...listed].sort(listingOrder)
  const inputs = new Uint8Array(files.length * exampleBytes(options))
  const targets = new Uint8Array(files.length)
  files.forEach((file, i) => (targets[i] = file.classIndex))
  let at = 0
  for (const run of adjacentRuns(files.map((file) => pixels.get(file.path)!))) {
    inputs.set(run, at)
    at += run.length
  }
  return {inputs, targets, count: files.length}
}

/**
 * Decodes every file on the decode pool's threads (they read the files themselves), all queued at once so
 * that they go out in batches; `onDecoded` hears each file's verdict and pixels.
 */
async function decodeAll(
  files: ScannedFile[],
  preprocessing: ImagePreprocessing,
  maxPixels: number | undefined,
  onDecoded: (file: ScannedFile, verdict: FileVerdict, pixels?: Uint8Array) => void,
  onDone: (done: number) => void,
): Promise<void> {
  const report = progressReporter(files.length, onDone)
  const jobs = files.map((file) => ({source: {path: file.absolute}, preprocessing, maxPixels}))
  await decodePool().decodeEach(jobs, (index, outcome) => {
    if ('pixels' in outcome) onDecoded(files[index], {facts: outcome.facts}, outcome.pixels)
    else onDecoded(files[index], outcome)
    report()
  })
}

/** Runs `work` on every item with HEADER_CONCURRENCY in flight; `onDone` hears the count as it grows. */
async function forEachConcurrently<T>(
  items: T[],
  work: (item: T) => Promise<void>,
  onDone: (done: number) => void,
): Promise<void> {
  let next = 0
  const report = progressReporter(items.length, onDone)
  const worker = async () => {
    while (next < items.length) {
      await work(items[next++])
      report()
    }
  }
  await Promise.all(Array.from({length: Math.min(HEADER_CONCURRENCY, items.length)}, worker))
}

/** Counts finished items and tells `onDone` at the start and about a hundred times however many there are. */
function progressReporter(total: number, onDone: (done: number) => void): () => void {
  let done = 0
  let reported = 0
  if (total > 0) onDone(0)
  return () => {
    done++
    if (done - reported >= Math.max(1, total / 100) || done === total) {
      reported = done
      onDone(done)
    }
  }
}

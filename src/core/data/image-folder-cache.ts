import {createHash} from 'node:crypto'
import {mkdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import type {ImageFacts} from '../images/decode-raw.js'
import type {ImageProblem} from '../images/image-decode-error.js'
import {exampleBytes, type ImagePreprocessing, PREPROCESSING_VERSION} from '../images/image-preprocessing.js'
import {writeFileAtomic} from '../io/atomic-write.js'
import {removeStaleTempFiles} from '../io/temp-files.js'
import {adjacentRuns} from './adjacent-runs.js'

/** Bumped when the files' layout or the decoding changes, so that an older cache is decoded again. */
const CACHE_VERSION = 1

/** What a file was when it was read: the key that says whether a cached result still holds. */
export interface FileStamp {
  path: string
  size: number
  mtimeMs: number
}

/** A file's header facts, or why it cannot be used. */
export type FileVerdict = {facts: ImageFacts} | {problem: ImageProblem; message: string}

/**
 * The decoding cache of one image folder, under the data cache directory: `facts.json` holds every file's
 * header facts or problem (which the default size and channels are chosen from), and for each preprocessing
 * a `.pack` of the decoded pixels back to back with the list of the files they are. A pack is
 * rewritten whole (atomically) when a file changed, which is cheap next to decoding: a 10,000-image pack of
 * 32×32 RGB is 30 MB.
 */
export class ImageFolderCache {
  private readonly dir: string
  private verdicts = new Map<string, {stamp: FileStamp; verdict: FileVerdict}>()
  private verdictsChanged = false

  constructor(cacheRoot: string, folderRealPath: string) {
    const key = createHash('sha256').update(folderRealPath).digest('hex').slice(0, 16)
    this.dir = join(cacheRoot, 'image-folders', key)
    const index = readJson(join(this.dir, 'facts.json'))
    if (isObject(index) && index.version === CACHE_VERSION && Array.isArray(index.files))
      for (const entry of index.files as Array<{stamp: FileStamp; verdict: FileVerdict}>)
        this.verdicts.set(entry.stamp.path, entry)
  }

  /** Nothing is known of this folder yet (its first read, or a cache of another version). */
  isEmpty(): boolean {
    return this.verdicts.size === 0
  }

  verdict(stamp: FileStamp): FileVerdict | undefined {
    const cached = this.verdicts.get(stamp.path)
    return cached && sameStamp(cached.stamp, stamp) ? cached.verdict : undefined
  }

  setVerdict(stamp: FileStamp, verdict: FileVerdict): void {
    this.verdicts.set(stamp.path, {stamp, verdict})
    this.verdictsChanged = true
  }

  /** The decoded pixels this cache holds for `options`, by path, for the files whose stamps still match. */
  readPack(options: ImagePreprocessing, stamps: FileStamp[]): Map<string, Uint8Array> {
    const found = new Map<string, Uint8Array>()
    let pack: Buffer
    try {
      pack = readFileSync(this.packPath(options))
    } catch {
      return found
    }
    const headerLength = pack.length >= 4 ? pack.readUInt32LE(0) : 0
    const header = parseJson(pack.subarray(4, 4 + headerLength).toString('utf8'))
    // pixels from other decoding code are not these pixels
    if (
      !isObject(header) ||
      header.version !== CACHE_VERSION ||
      header.preprocessing !== PREPROCESSING_VERSION ||
      !Array.isArray(header.files)
    )
      return found
    const bytes = exampleBytes(options)
    const files = header.files as FileStamp[]
    const pixels = pack.subarray(4 + headerLength)
    if (pixels.length !== files.length * bytes) return found
    const slots = new Map(files.map((stamp, slot) => [stamp.path, {stamp, slot}]))
    for (const stamp of stamps) {
      const cached = slots.get(stamp.path)
      if (cached && sameStamp(cached.stamp, stamp))
        found.set(stamp.path, pixels.subarray(cached.slot * bytes, (cached.slot + 1) * bytes))
    }
    return found
  }

  /**
   * Replaces the pack for `options` with these files, in this order: one file (a little-endian uint32 header
   * length, the JSON header listing the files, then their pixels), so that a reader never pairs one
   * version's list with another's pixels.
   */
  writePack(options: ImagePreprocessing, files: Array<{stamp: FileStamp; pixels: Uint8Array}>): void {
    this.ensureDir()
    const header = Buffer.from(
      JSON.stringify({
        version: CACHE_VERSION,
        preprocessing: PREPROCESSING_VERSION,
        options,
        files: files.map((file) => file.stamp),
      }),
    )
    const length = Buffer.alloc(4)
    length.writeUInt32LE(header.length)
    writeFileAtomic(this.packPath(options), [length, header, ...adjacentRuns(files.map((file) => file.pixels))], {
      durable: false,
    })
  }

  /** Writes facts.json when a verdict was added, keeping only the files `current` names. */
  saveVerdicts(current: Set<string>): void {
    const stale = [...this.verdicts.keys()].some((path) => !current.has(path))
    if (!this.verdictsChanged && !stale) return
    this.ensureDir()
    const files = [...this.verdicts.values()].filter((entry) => current.has(entry.stamp.path))
    writeFileAtomic(join(this.dir, 'facts.json'), JSON.stringify({version: CACHE_VERSION, files}), {durable: false})
    this.verdictsChanged = false
  }

  private packPath(options: ImagePreprocessing): string {
    return join(this.dir, `${options.width}x${options.height}-${options.channels}-${options.resize}.pack`)
  }

  private ensureDir(): void {
    mkdirSync(this.dir, {recursive: true})
    removeStaleTempFiles(this.dir)
  }
}

function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs
}

/** A missing or damaged cache file reads as nothing cached: the images are decoded again. */
function readJson(path: string): unknown {
  try {
    return parseJson(readFileSync(path, 'utf8'))
  } catch {
    return undefined
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

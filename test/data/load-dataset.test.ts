import {existsSync} from 'node:fs'
import {mkdir, mkdtemp, readdir, rm, truncate, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gunzipSync, gzipSync} from 'node:zlib'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import type {DatasetEntry} from '../../src/core/data/registry.js'
import {loadDataset} from '../../src/core/data/load-dataset.js'
import {type FileServer, refusedPortUrl, startFileServer} from './file-server.js'
import {
  idxBytes,
  patternBytes,
  sha256,
  TINY,
  TINY_CIFAR,
  tinyCifarArchive,
  tinyCifarBatches,
  tinyCifarEntry,
  tinyIdxEntry,
  tinyIdxFiles,
} from './fixtures.js'

const idxFiles = tinyIdxFiles()
const cifarArchive = tinyCifarArchive()
// Wrong magic: a label file where the images belong. Count mismatch: 5 labels for 6 images.
const wrongMagic = gzipSync(idxBytes(2049, [TINY.train], patternBytes(TINY.train, 2, 10)))
const fiveLabels = gzipSync(idxBytes(2049, [5], patternBytes(5, 2, 10)))

let server: FileServer
let dataDir: string

beforeAll(async () => {
  server = await startFileServer({
    ...idxFiles,
    'cifar-10-binary.tar.gz': cifarArchive,
    'wrong-magic.gz': wrongMagic,
    'five-labels.gz': fiveLabels,
  })
})
afterAll(() => server.close())
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mlctl-data-'))
  server.requests.length = 0
})
afterEach(() => rm(dataDir, {recursive: true, force: true}))

const ok = () => `${server.url}/ok/`

describe('loadDataset, downloading', () => {
  it('loads an IDX dataset into uint8 NCHW splits and caches the verified files', async () => {
    const registry = [tinyIdxEntry(idxFiles, [ok()])]
    const dataset = await loadDataset('tiny-idx', {dataDir, registry})
    expect(dataset).toMatchObject({name: 'tiny-idx', task: 'classification', inputShape: [1, 4, 4]})
    expect(dataset.train.count).toBe(TINY.train)
    expect(dataset.test?.count).toBe(TINY.test)
    expect(dataset.train.inputs).toBeInstanceOf(Uint8Array)
    expect(dataset.train.inputs).toHaveLength(TINY.train * 16)
    expect(Buffer.from(dataset.train.inputs)).toEqual(gunzipSync(idxFiles['train-images-idx3-ubyte.gz']).subarray(16))
    expect(Buffer.from(dataset.test!.targets)).toEqual(gunzipSync(idxFiles['t10k-labels-idx1-ubyte.gz']).subarray(8))
    expect(dataset.origin).toEqual({
      kind: 'download',
      location: join(dataDir, 'tiny-idx'),
      verified: 'sha256 of 4 downloaded files matches the registry',
    })
    expect((await readdir(join(dataDir, 'tiny-idx'))).sort()).toEqual(Object.keys(idxFiles).sort())
    expect(server.requests).toHaveLength(4)

    server.requests.length = 0
    await loadDataset('tiny-idx', {dataDir, registry})
    expect(server.requests).toEqual([])
  })

  it('loads the CIFAR-10 binary archive: train from data_batch_1..5, test from test_batch', async () => {
    const dataset = await loadDataset('tiny-cifar', {dataDir, registry: [tinyCifarEntry(cifarArchive, [ok()])]})
    const batches = tinyCifarBatches()
    expect(dataset.inputShape).toEqual([3, 32, 32])
    expect(dataset.train.count).toBe(5 * TINY_CIFAR.perTrainBatch)
    expect(dataset.test?.count).toBe(TINY_CIFAR.test)
    // Third training image = first record of data_batch_2.
    expect(Buffer.from(dataset.train.inputs.subarray(2 * 3072, 3 * 3072))).toEqual(
      Buffer.from(batches[1].data.subarray(1, 3073)),
    )
    expect(dataset.train.targets[2]).toBe(batches[1].data[0])
  })

  it('uses --mirror instead of the registry mirrors', async () => {
    const registry = [tinyIdxEntry(idxFiles, ['http://127.0.0.1:9/nowhere/'])]
    await loadDataset('tiny-idx', {dataDir, registry, mirror: ok()})
    expect(server.requests.every((path) => path.startsWith('/ok/'))).toBe(true)
  })

  it('names the file when its magic number is wrong', async () => {
    const registry = [tinyIdxEntry({...idxFiles, 'train-images-idx3-ubyte.gz': wrongMagic}, [ok()])]
    registry[0].files[0].name = 'wrong-magic.gz'
    await expect(loadDataset('tiny-idx', {dataDir, registry})).rejects.toThrow(
      `${join(dataDir, 'tiny-idx', 'wrong-magic.gz')} has magic number 2049, expected 2051 for an IDX image file`,
    )
  })

  it('names the label file when its count does not match the images', async () => {
    const registry = [tinyIdxEntry({...idxFiles, 'train-labels-idx1-ubyte.gz': fiveLabels}, [ok()])]
    registry[0].files[1].name = 'five-labels.gz'
    await expect(loadDataset('tiny-idx', {dataDir, registry})).rejects.toThrow(
      `${join(dataDir, 'tiny-idx', 'five-labels.gz')} has 5 labels but ${join(dataDir, 'tiny-idx', 'train-images-idx3-ubyte.gz')} has 6 images`,
    )
  })

  it('rejects files holding a different number of examples than the registry says', async () => {
    const registry: DatasetEntry[] = [{...tinyIdxEntry(idxFiles, [ok()]), trainCount: 60_000}]
    await expect(loadDataset('tiny-idx', {dataDir, registry})).rejects.toThrow(
      /\(train split\) has 6 examples, expected 60000/,
    )
  })

  it('lists the valid names for an unknown dataset', async () => {
    await expect(loadDataset('nope', {dataDir})).rejects.toMatchObject({
      message:
        'Unknown dataset "nope"; valid names: mnist-sample, mnist, fashion-mnist, cifar10, imdb, ag-news, sms-spam, or a path to a .csv file.',
      exitCode: 2,
    })
  })
})

describe('loadDataset --from DIR', () => {
  let fromDir: string
  beforeEach(async () => {
    fromDir = await mkdtemp(join(tmpdir(), 'mlctl-from-'))
  })
  afterEach(() => rm(fromDir, {recursive: true, force: true}))

  /** The registry entry for the tiny set, with the sha256 of each file's decompressed content. */
  const withContentHashes = (entry: DatasetEntry): DatasetEntry => ({
    ...entry,
    files: entry.files.map((f) => ({...f, contentSha256: sha256(gunzipSync(idxFiles[f.name]))})),
  })

  it('reads raw (decompressed) IDX files and verifies their content hashes', async () => {
    for (const [name, gz] of Object.entries(idxFiles))
      await writeFile(join(fromDir, name.replace(/\.gz$/, '')), gunzipSync(gz))
    const registry = [withContentHashes(tinyIdxEntry(idxFiles, []))]
    const dataset = await loadDataset('tiny-idx', {from: fromDir, dataDir, registry})
    expect(dataset.train.count).toBe(TINY.train)
    expect(dataset.origin).toEqual({
      kind: 'local',
      location: fromDir,
      verified: 'sha256 of the decompressed content of 4 files matches the published tiny-idx',
    })
    expect(await readdir(dataDir)).toEqual([])
  })

  it('accepts re-compressed .gz files whose content matches, rejects other content', async () => {
    for (const [name, gz] of Object.entries(idxFiles))
      await writeFile(join(fromDir, name), gzipSync(gunzipSync(gz), {level: 1}))
    const registry = [withContentHashes(tinyIdxEntry(idxFiles, []))]
    await expect(loadDataset('tiny-idx', {from: fromDir, registry})).resolves.toMatchObject({test: {count: TINY.test}})

    await writeFile(
      join(fromDir, 't10k-labels-idx1-ubyte.gz'),
      gzipSync(idxBytes(2049, [TINY.test], new Uint8Array([1, 1, 1]))),
    )
    await expect(loadDataset('tiny-idx', {from: fromDir, registry})).rejects.toThrow(
      new RegExp(
        `^${join(fromDir, 't10k-labels-idx1-ubyte.gz')} is not tiny-idx's t10k-labels-idx1-ubyte.gz: its decompressed content has sha256`,
      ),
    )
  })

  it('says which file is missing', async () => {
    await expect(loadDataset('tiny-idx', {from: fromDir, registry: [tinyIdxEntry(idxFiles, [])]})).rejects.toThrow(
      `--from ${fromDir}: tiny-idx needs train-images-idx3-ubyte.gz or train-images-idx3-ubyte, which is not there.`,
    )
  })

  it('reads a CIFAR-10 archive (checked by its sha256) or the extracted batches', async () => {
    const registry = [tinyCifarEntry(cifarArchive, [])]
    await writeFile(join(fromDir, 'cifar-10-binary.tar.gz'), cifarArchive)
    const fromArchive = await loadDataset('tiny-cifar', {from: fromDir, registry})
    expect(fromArchive.origin?.verified).toBe('sha256 of cifar-10-binary.tar.gz matches the registry')

    const extracted = await mkdtemp(join(tmpdir(), 'mlctl-from-'))
    await mkdir(join(extracted, 'cifar-10-batches-bin'))
    for (const {name, data} of tinyCifarBatches()) await writeFile(join(extracted, 'cifar-10-batches-bin', name), data)
    const fromBatches = await loadDataset('tiny-cifar', {from: extracted, registry})
    await rm(extracted, {recursive: true})
    expect(fromBatches.origin?.verified).toMatch(/^record structure and labels only/)
    expect(Buffer.from(fromBatches.train.inputs)).toEqual(Buffer.from(fromArchive.train.inputs))
    expect(Buffer.from(fromBatches.test!.targets)).toEqual(Buffer.from(fromArchive.test!.targets))
  })

  describe('copied into the cache (fetch-data --from)', () => {
    it('makes the dataset load later without --from, offline, once the source is gone', async () => {
      for (const [name, gz] of Object.entries(idxFiles))
        await writeFile(join(fromDir, name), gzipSync(gunzipSync(gz), {level: 1}))
      const registry = [withContentHashes(tinyIdxEntry(idxFiles, [`${await refusedPortUrl()}/`]))]
      const fetched = await loadDataset('tiny-idx', {from: fromDir, copyIntoCache: true, dataDir, registry})
      const cached = join(dataDir, 'tiny-idx', 'imported')
      expect(fetched.origin).toEqual({
        kind: 'imported',
        location: cached,
        copiedFrom: fromDir,
        verified: 'sha256 of the decompressed content of 4 files matches the published tiny-idx',
      })
      expect(await readdir(join(dataDir, 'tiny-idx'))).toEqual(['imported'])
      await rm(fromDir, {recursive: true})

      const later = await loadDataset('tiny-idx', {dataDir, registry})
      expect(later.origin).toMatchObject({kind: 'imported', location: cached})
      expect(Buffer.from(later.train.inputs)).toEqual(Buffer.from(fetched.train.inputs))
      expect(Buffer.from(later.test!.targets)).toEqual(Buffer.from(fetched.test!.targets))
    })

    it('imports extracted CIFAR-10 batches, replaces an earlier import, removes what a killed import left', async () => {
      const registry = [tinyCifarEntry(cifarArchive, [`${await refusedPortUrl()}/`])]
      await mkdir(join(dataDir, 'tiny-cifar', '.imported.999999999.tmp'), {recursive: true}) // pid far above any pid_max
      await writeFile(join(fromDir, 'cifar-10-binary.tar.gz'), cifarArchive)
      await loadDataset('tiny-cifar', {from: fromDir, copyIntoCache: true, dataDir, registry})
      await rm(join(fromDir, 'cifar-10-binary.tar.gz'))
      for (const {name, data} of tinyCifarBatches()) await writeFile(join(fromDir, name), data)
      await loadDataset('tiny-cifar', {from: fromDir, copyIntoCache: true, dataDir, registry})

      const cached = join(dataDir, 'tiny-cifar', 'imported')
      expect(await readdir(join(dataDir, 'tiny-cifar'))).toEqual(['imported'])
      expect((await readdir(cached)).sort()).toEqual(tinyCifarBatches().map((b) => b.name))
      const later = await loadDataset('tiny-cifar', {dataDir, registry})
      expect(later.origin?.verified).toMatch(/^record structure and labels only/)
      expect(later.train.count).toBe(5 * TINY_CIFAR.perTrainBatch)
    })

    it('copies nothing when the files fail verification', async () => {
      for (const [name, gz] of Object.entries(idxFiles)) await writeFile(join(fromDir, name), gz)
      await writeFile(
        join(fromDir, 't10k-labels-idx1-ubyte.gz'),
        gzipSync(idxBytes(2049, [TINY.test], new Uint8Array(3))),
      )
      const registry = [withContentHashes(tinyIdxEntry(idxFiles, []))]
      await expect(loadDataset('tiny-idx', {from: fromDir, copyIntoCache: true, dataDir, registry})).rejects.toThrow(
        /is not tiny-idx's t10k-labels-idx1-ubyte\.gz/,
      )
      expect(await readdir(join(dataDir, 'tiny-idx'))).toEqual([])
    })

    it('says so in one line when the cache cannot be written', async () => {
      for (const [name, gz] of Object.entries(idxFiles)) await writeFile(join(fromDir, name), gz)
      const file = join(dataDir, 'a-file')
      await writeFile(file, 'in the way')
      const registry = [withContentHashes(tinyIdxEntry(idxFiles, []))]
      await expect(
        loadDataset('tiny-idx', {from: fromDir, copyIntoCache: true, dataDir: file, registry}),
      ).rejects.toThrow(`Cannot copy the files into the cache ${join(file, 'tiny-idx')} (ENOTDIR`)
    })

    it('removes a copy damaged since, and downloads instead', async () => {
      for (const [name, gz] of Object.entries(idxFiles)) await writeFile(join(fromDir, name), gz)
      const registry = [withContentHashes(tinyIdxEntry(idxFiles, [ok()]))]
      await loadDataset('tiny-idx', {from: fromDir, copyIntoCache: true, dataDir, registry})
      await truncate(join(dataDir, 'tiny-idx', 'imported', 'train-images-idx3-ubyte.gz'), 10)
      const dataset = await loadDataset('tiny-idx', {dataDir, registry})
      expect(dataset.origin?.kind).toBe('download')
      expect(server.requests).toHaveLength(4)
      expect((await readdir(join(dataDir, 'tiny-idx'))).sort()).toEqual(Object.keys(idxFiles).sort())
    })
  })

  const debianFashion = '/usr/share/datasets/fashion-mnist'
  it.skipIf(!existsSync(debianFashion))(
    "loads the full Fashion-MNIST from Debian's dataset-fashion-mnist",
    async () => {
      const dataset = await loadDataset('fashion-mnist', {from: debianFashion})
      expect(dataset.train.count).toBe(60_000)
      expect(dataset.test?.count).toBe(10_000)
      expect(dataset.train.inputs).toHaveLength(60_000 * 784)
      expect(new Set(dataset.train.targets).size).toBe(10)
    },
  )
})

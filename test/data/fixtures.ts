/** Small datasets the tests build in memory, in the real file formats, plus registry entries for them. */
import {createHash} from 'node:crypto'
import {gzipSync} from 'node:zlib'

import type {DatasetEntry, RemoteFile} from '../../src/core/data/registry.js'

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/** Deterministic bytes so failures reproduce. */
export function patternBytes(length: number, seed: number, modulo = 256): Uint8Array {
  return Uint8Array.from({length}, (_, i) => (i * 31 + seed * 17 + ((i * i) % 7)) % modulo)
}

export function idxBytes(magic: number, dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length)
  header.writeUInt32BE(magic, 0)
  for (const [i, d] of dims.entries()) header.writeUInt32BE(d, 4 + 4 * i)
  return Buffer.concat([header, data])
}

/** A 4x4 "MNIST": 6 train and 3 test images. */
export const TINY = {rows: 4, cols: 4, train: 6, test: 3}

export function tinyIdxFiles(): Record<string, Buffer> {
  const pixels = TINY.rows * TINY.cols
  const images = (count: number, seed: number) =>
    idxBytes(2051, [count, TINY.rows, TINY.cols], patternBytes(count * pixels, seed))
  const labels = (count: number, seed: number) => idxBytes(2049, [count], patternBytes(count, seed, 10))
  return {
    'train-images-idx3-ubyte.gz': gzipSync(images(TINY.train, 1)),
    'train-labels-idx1-ubyte.gz': gzipSync(labels(TINY.train, 2)),
    't10k-images-idx3-ubyte.gz': gzipSync(images(TINY.test, 3)),
    't10k-labels-idx1-ubyte.gz': gzipSync(labels(TINY.test, 4)),
  }
}

const ROLES = {
  'train-images-idx3-ubyte.gz': 'train-images',
  'train-labels-idx1-ubyte.gz': 'train-labels',
  't10k-images-idx3-ubyte.gz': 'test-images',
  't10k-labels-idx1-ubyte.gz': 'test-labels',
} as const

export function remoteFile(name: string, bytes: Uint8Array, role: RemoteFile['role'] = 'archive'): RemoteFile {
  return {role, name, sha256: sha256(bytes), bytes: bytes.length}
}

const CLASSES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']

export function tinyIdxEntry(files: Record<string, Buffer>, mirrors: string[]): DatasetEntry {
  return {
    name: 'tiny-idx',
    description: 'test data',
    format: 'idx',
    files: Object.entries(files).map(([name, bytes]) => remoteFile(name, bytes, ROLES[name as keyof typeof ROLES])),
    mirrors,
    licence: 'test',
    attribution: 'test',
    homepage: 'http://127.0.0.1/',
    classNames: CLASSES,
    inputShape: [1, TINY.rows, TINY.cols],
    trainCount: TINY.train,
    testCount: TINY.test,
  }
}

/** A ustar archive the way tar(1) lays it out: 512-byte header, data padded to 512, two zero blocks. */
export function tarBytes(entries: {name: string; data: Uint8Array}[]): Buffer {
  const blocks: Buffer[] = []
  for (const {name, data} of entries) {
    const header = Buffer.alloc(512)
    header.write(name, 0, 'utf8')
    header.write('0000644\0', 100)
    header.write('0000000\0', 108)
    header.write('0000000\0', 116)
    header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124)
    header.write('00000000000\0', 136)
    header.write('        ', 148)
    header.write('0', 156)
    header.write('ustar\0', 257)
    header.write('00', 263)
    const sum = header.reduce((a, b) => a + b, 0)
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148)
    blocks.push(header, Buffer.from(data), Buffer.alloc((512 - (data.length % 512)) % 512))
  }

  blocks.push(Buffer.alloc(1024))
  return Buffer.concat(blocks)
}

/** CIFAR-10 binary records: label byte then 3072 pixel bytes. */
export function cifarBatch(count: number, seed: number): Uint8Array {
  const records = new Uint8Array(count * 3073)
  for (let n = 0; n < count; n++) {
    records[n * 3073] = (n + seed) % 10
    records.set(patternBytes(3072, seed * 100 + n), n * 3073 + 1)
  }

  return records
}

export const TINY_CIFAR = {perTrainBatch: 2, test: 3}

export function tinyCifarBatches(): {name: string; data: Uint8Array}[] {
  const train = [1, 2, 3, 4, 5].map((i) => ({
    name: `data_batch_${i}.bin`,
    data: cifarBatch(TINY_CIFAR.perTrainBatch, i),
  }))
  return [...train, {name: 'test_batch.bin', data: cifarBatch(TINY_CIFAR.test, 9)}]
}

export function tinyCifarArchive(): Buffer {
  const entries = tinyCifarBatches().map(({name, data}) => ({name: `cifar-10-batches-bin/${name}`, data}))
  entries.unshift({name: 'cifar-10-batches-bin/batches.meta.txt', data: Buffer.from(`${CLASSES.join('\n')}\n`)})
  return gzipSync(tarBytes(entries))
}

export function tinyCifarEntry(archive: Buffer, mirrors: string[]): DatasetEntry {
  return {
    name: 'tiny-cifar',
    description: 'test data',
    format: 'cifar10-binary',
    files: [remoteFile('cifar-10-binary.tar.gz', archive)],
    mirrors,
    licence: 'test',
    attribution: 'test',
    homepage: 'http://127.0.0.1/',
    classNames: CLASSES,
    inputShape: [3, 32, 32],
    trainCount: 5 * TINY_CIFAR.perTrainBatch,
    testCount: TINY_CIFAR.test,
  }
}

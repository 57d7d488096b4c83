import {readFile} from 'node:fs/promises'
import {basename} from 'node:path'

import {UserError} from '../errors.js'
import type {DataSplit} from './dataset.js'
import {gunzipIfCompressed} from './gunzip.js'
import {checkLabels} from './idx-reader.js'
import {readTar} from './tar-reader.js'

/** One label byte then 3072 pixel bytes: 1024 red, 1024 green, 1024 blue, each 32x32 row-major (CHW). */
export const CIFAR_RECORD_BYTES = 3073
const PIXELS = 3072
const CLASSES = 10

export const CIFAR_TRAIN_BATCHES = [
  'data_batch_1.bin',
  'data_batch_2.bin',
  'data_batch_3.bin',
  'data_batch_4.bin',
  'data_batch_5.bin',
]
export const CIFAR_TEST_BATCHES = ['test_batch.bin']

export interface CifarSplits {
  train: DataSplit
  test: DataSplit
}

/** Reads the binary-version archive (cifar-10-binary.tar.gz) without extracting it to disk. */
export async function readCifarArchive(path: string): Promise<CifarSplits> {
  const entries = readTar(gunzipIfCompressed(await readFile(path), path), path)
  const byBaseName = new Map([...entries].map(([name, data]) => [basename(name), data]))
  const batch = (name: string) => {
    const data = byBaseName.get(name)
    if (!data) throw new UserError(`${path} has no ${name}; it is not the CIFAR-10 binary version archive.`)
    return {label: `${path}: ${name}`, data}
  }

  return {
    train: decodeCifarBatches(CIFAR_TRAIN_BATCHES.map(batch)),
    test: decodeCifarBatches(CIFAR_TEST_BATCHES.map(batch)),
  }
}

/** Reads already-extracted batch files (cifar-10-batches-bin/*.bin). */
export async function readCifarBatchFiles(dir: string): Promise<CifarSplits> {
  const read = async (name: string) => {
    const path = `${dir}/${name}`
    return {label: path, data: await readFile(path)}
  }

  return {
    train: decodeCifarBatches(await Promise.all(CIFAR_TRAIN_BATCHES.map(read))),
    test: decodeCifarBatches(await Promise.all(CIFAR_TEST_BATCHES.map(read))),
  }
}

/** Concatenates batches into one split: uint8 NCHW pixels and uint8 labels. */
export function decodeCifarBatches(batches: {label: string; data: Uint8Array}[]): DataSplit {
  for (const {label, data} of batches) {
    if (data.length === 0 || data.length % CIFAR_RECORD_BYTES !== 0) {
      throw new UserError(
        `${label} is ${data.length} bytes, not a whole number of ${CIFAR_RECORD_BYTES}-byte CIFAR-10 records; the file is truncated or corrupt.`,
      )
    }
  }

  const count = batches.reduce((sum, b) => sum + b.data.length / CIFAR_RECORD_BYTES, 0)
  const inputs = new Uint8Array(count * PIXELS)
  const targets = new Uint8Array(count)
  let n = 0
  for (const {label, data} of batches) {
    const first = n
    for (let offset = 0; offset < data.length; offset += CIFAR_RECORD_BYTES, n++) {
      targets[n] = data[offset]
      inputs.set(data.subarray(offset + 1, offset + CIFAR_RECORD_BYTES), n * PIXELS)
    }

    checkLabels(targets.subarray(first, n), CLASSES, label)
  }

  return {inputs, targets, count}
}

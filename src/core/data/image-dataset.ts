import {readFile} from 'node:fs/promises'

import {UserError} from '../errors.js'
import {readCifarArchive, readCifarBatchFiles} from './cifar-reader.js'
import type {Dataset, DatasetOrigin, DataSplit} from './dataset.js'
import {gunzipIfCompressed} from './gunzip.js'
import {decodeIdx, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, idxSplit, type IdxArray} from './idx-reader.js'
import type {DatasetEntry, FileRole, RemoteFile} from './registry.js'
import {sha256Hex} from './sha256.js'

/** Where the files of an image dataset are on disk, in whichever form they were found. */
export type ImageFiles =
  | {kind: 'idx'; paths: Map<FileRole, string>}
  | {kind: 'cifar-archive'; path: string}
  | {kind: 'cifar-batches'; dir: string}

/** Reads IDX or CIFAR-10 files into a Dataset, checking them against the registry entry. */
export async function readImageDataset(
  entry: DatasetEntry,
  files: ImageFiles,
  origin: DatasetOrigin,
): Promise<Dataset> {
  const splits =
    files.kind === 'idx'
      ? await readIdxSplits(entry, files.paths)
      : files.kind === 'cifar-archive'
        ? await readCifarArchive(files.path)
        : await readCifarBatchFiles(files.dir)
  const where =
    files.kind === 'idx' ? files.paths.get('train-images') : files.kind === 'cifar-archive' ? files.path : files.dir
  checkCount(splits.train, entry.trainCount, `${where} (train split)`)
  checkCount(splits.test, entry.testCount, `${where} (test split)`)
  return {
    name: entry.name,
    task: 'classification',
    inputShape: entry.inputShape,
    classNames: entry.classNames,
    train: splits.train,
    test: splits.test,
    origin,
  }
}

async function readIdxSplits(
  entry: DatasetEntry,
  paths: Map<FileRole, string>,
): Promise<{train: DataSplit; test: DataSplit}> {
  const [, rows, cols] = entry.inputShape
  const expected = {rows, cols, classes: entry.classNames.length}
  const read = async (role: FileRole, magic: number): Promise<IdxArray> => {
    const file = entry.files.find((f) => f.role === role)
    const path = paths.get(role)
    if (!file || !path) throw new Error(`${entry.name} has no ${role} file`)
    return decodeIdx(await readVerifiedContent(path, file, entry.name), path, magic)
  }

  const split = async (images: FileRole, labels: FileRole): Promise<DataSplit> =>
    idxSplit(
      await read(images, IDX_IMAGES_MAGIC),
      await read(labels, IDX_LABELS_MAGIC),
      {images: paths.get(images)!, labels: paths.get(labels)!},
      expected,
    )
  return {train: await split('train-images', 'train-labels'), test: await split('test-images', 'test-labels')}
}

/** Decompressed bytes of the file, checked against the published content checksum when there is one. */
async function readVerifiedContent(path: string, file: RemoteFile, dataset: string): Promise<Uint8Array> {
  const content = gunzipIfCompressed(await readFile(path), path)
  if (file.contentSha256) {
    const actual = sha256Hex(content)
    if (actual !== file.contentSha256) {
      throw new UserError(
        `${path} is not ${dataset}'s ${file.name}: its decompressed content has sha256 ${actual}, expected ${file.contentSha256}.`,
      )
    }
  }

  return content
}

function checkCount(split: DataSplit, expected: number, label: string): void {
  if (split.count !== expected)
    throw new UserError(
      `${label} has ${split.count} examples, expected ${expected}; the files are incomplete or belong to another dataset.`,
    )
}

import {readFile} from 'node:fs/promises'

import {UserError} from '../errors.js'
import type {DataSplit} from './dataset.js'
import {gunzipIfCompressed} from './gunzip.js'

/** IDX magic numbers: two zero bytes, data type 0x08 (unsigned byte), number of dimensions. */
export const IDX_IMAGES_MAGIC = 0x0803
export const IDX_LABELS_MAGIC = 0x0801

export interface IdxArray {
  /** e.g. [count, rows, cols] for images, [count] for labels. */
  dims: number[]
  data: Uint8Array
}

/** Parses an IDX file (gzip or raw). `label` names the file in errors. */
export function decodeIdx(fileBytes: Uint8Array, label: string, expectedMagic: number): IdxArray {
  const bytes = gunzipIfCompressed(fileBytes, label)
  const kind = expectedMagic === IDX_IMAGES_MAGIC ? 'IDX image file' : 'IDX label file'
  if (bytes.length < 4) throw corrupt(label, `is ${bytes.length} bytes, too short for an IDX header`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const magic = view.getUint32(0)
  if (magic !== expectedMagic)
    throw corrupt(label, `has magic number ${magic}, expected ${expectedMagic} for an ${kind}`)

  const ndims = magic & 0xff
  const headerBytes = 4 + 4 * ndims
  if (bytes.length < headerBytes)
    throw corrupt(label, `is ${bytes.length} bytes, too short for its ${ndims}-dimension header`)
  const dims = Array.from({length: ndims}, (_, i) => view.getUint32(4 + 4 * i))
  const expectedBytes = headerBytes + dims.reduce((a, b) => a * b, 1)
  if (bytes.length !== expectedBytes) {
    const what = bytes.length < expectedBytes ? 'is truncated' : 'has trailing bytes'
    throw corrupt(label, `${what}: ${bytes.length} bytes, but its header [${dims.join(', ')}] needs ${expectedBytes}`)
  }

  // Copy so the split owns a compact buffer starting at offset 0, not a view into the decompressed file.
  return {dims, data: new Uint8Array(bytes.subarray(headerBytes))}
}

export async function readIdxFile(path: string, expectedMagic: number): Promise<IdxArray> {
  return decodeIdx(await readFile(path), path, expectedMagic)
}

/** Pairs an image file with its label file, checking they agree with each other and with the dataset. */
export function idxSplit(
  images: IdxArray,
  labels: IdxArray,
  names: {images: string; labels: string},
  expected: {rows: number; cols: number; classes: number},
): DataSplit {
  const [count, rows, cols] = images.dims
  if (rows !== expected.rows || cols !== expected.cols) {
    throw corrupt(names.images, `holds ${rows}x${cols} images, expected ${expected.rows}x${expected.cols}`)
  }

  if (labels.dims[0] !== count) {
    throw corrupt(names.labels, `has ${labels.dims[0]} labels but ${names.images} has ${count} images`)
  }

  checkLabels(labels.data, expected.classes, names.labels)
  return {inputs: images.data, targets: labels.data, count}
}

export function checkLabels(labels: Uint8Array, classes: number, label: string): void {
  const bad = labels.findIndex((value) => value >= classes)
  if (bad >= 0) throw corrupt(label, `has label ${labels[bad]} at index ${bad}, outside 0..${classes - 1}`)
}

function corrupt(label: string, problem: string): UserError {
  return new UserError(`${label} ${problem}; the file is corrupt or not what it claims to be.`)
}

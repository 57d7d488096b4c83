import {inflateRawSync} from 'node:zlib'

import {UserError} from '../errors.js'

const END_OF_CENTRAL_DIRECTORY = 0x06054b50
const CENTRAL_FILE_HEADER = 0x02014b50
const LOCAL_FILE_HEADER = 0x04034b50

/**
 * The files of a zip archive, keyed by path: just enough zip for dataset archives (stored or deflated entries,
 * found through the central directory; no zip64, no encryption). A damaged archive fails here with its name.
 */
export function readZip(zip: Uint8Array, label: string): Map<string, Uint8Array> {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength)
  let end = -1
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === END_OF_CENTRAL_DIRECTORY) {
      end = i
      break
    }
  }
  if (end < 0) throw corrupt(label, 'has no zip directory')
  const entries = view.getUint16(end + 10, true)
  let at = view.getUint32(end + 16, true)
  const files = new Map<string, Uint8Array>()
  for (let n = 0; n < entries; n++) {
    if (at + 46 > zip.length || view.getUint32(at, true) !== CENTRAL_FILE_HEADER)
      throw corrupt(label, `has a damaged directory entry at byte ${at}`)
    const method = view.getUint16(at + 10, true)
    const compressedSize = view.getUint32(at + 20, true)
    const nameLength = view.getUint16(at + 28, true)
    const extraLength = view.getUint16(at + 30, true)
    const commentLength = view.getUint16(at + 32, true)
    const localAt = view.getUint32(at + 42, true)
    const name = Buffer.from(zip.subarray(at + 46, at + 46 + nameLength)).toString('utf8')
    at += 46 + nameLength + extraLength + commentLength
    if (name.endsWith('/')) continue
    if (localAt + 30 > zip.length || view.getUint32(localAt, true) !== LOCAL_FILE_HEADER)
      throw corrupt(label, `has a damaged entry ${name}`)
    const dataAt = localAt + 30 + view.getUint16(localAt + 26, true) + view.getUint16(localAt + 28, true)
    const data = zip.subarray(dataAt, dataAt + compressedSize)
    if (data.length < compressedSize) throw corrupt(label, `is truncated inside ${name}`)
    if (method === 0) files.set(name, data)
    else if (method === 8) {
      try {
        files.set(name, inflateRawSync(data))
      } catch (error) {
        throw corrupt(label, `has a damaged entry ${name} (${(error as Error).message})`)
      }
    } else throw corrupt(label, `stores ${name} with compression method ${method}, which mlctl does not read`)
  }
  return files
}

function corrupt(label: string, problem: string): UserError {
  return new UserError(`${label} ${problem}; the archive is damaged, delete it and fetch it again.`)
}

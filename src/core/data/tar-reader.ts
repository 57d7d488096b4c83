import {UserError} from '../errors.js'

const BLOCK = 512

/**
 * The regular files of an uncompressed tar archive (ustar, GNU or pax), keyed by path. Just enough tar
 * for dataset archives: long names are honoured, links, devices and other extended attributes are
 * skipped; each header's checksum is verified so a damaged archive fails here, not as odd data later.
 */
export function readTar(tar: Uint8Array, label: string): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>()
  let nextName: string | undefined
  for (let offset = 0; offset + BLOCK <= tar.length;) {
    const header = tar.subarray(offset, offset + BLOCK)
    if (header.every((byte) => byte === 0)) return files

    if (octal(header, 148, 8) !== headerChecksum(header)) throw corrupt(label, `has a damaged header at byte ${offset}`)
    const size = octal(header, 124, 12)
    const type = String.fromCharCode(header[156])
    const dataStart = offset + BLOCK
    if (dataStart + size > tar.length)
      throw corrupt(label, `is truncated: an entry needs ${size} bytes at byte ${dataStart}`)
    const data = tar.subarray(dataStart, dataStart + size)

    if (type === 'L') {
      nextName = text(data, 0, size) // GNU long name: applies to the next entry
    } else if (type === 'x') {
      nextName = paxPath(data) // pax extended header: may carry the next entry's path
    } else {
      if (type === '0' || type === '\0') files.set(nextName ?? entryName(header), data)
      nextName = undefined
    }

    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK
  }

  throw corrupt(label, 'is truncated: it ends without the end-of-archive blocks')
}

/** pax records are "<length> <key>=<value>\n"; only `path` matters here. */
function paxPath(data: Uint8Array): string | undefined {
  const record = Buffer.from(data)
    .toString('utf8')
    .split('\n')
    .find((line) => /^\d+ path=/.test(line))
  return record?.slice(record.indexOf('=') + 1)
}

function entryName(header: Uint8Array): string {
  const name = text(header, 0, 100)
  const isUstar = text(header, 257, 5) === 'ustar'
  const prefix = isUstar ? text(header, 345, 155) : ''
  return prefix ? `${prefix}/${name}` : name
}

function text(bytes: Uint8Array, start: number, length: number): string {
  const field = bytes.subarray(start, start + length)
  const end = field.indexOf(0)
  return Buffer.from(end >= 0 ? field.subarray(0, end) : field).toString('utf8')
}

function octal(bytes: Uint8Array, start: number, length: number): number {
  const value = text(bytes, start, length).trim()
  return value === '' ? 0 : Number.parseInt(value, 8)
}

/** Sum of the header bytes with the checksum field itself counted as spaces. */
function headerChecksum(header: Uint8Array): number {
  let sum = 0
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]
  return sum
}

function corrupt(label: string, problem: string): UserError {
  return new UserError(`${label} ${problem}; the archive is damaged, delete it and fetch it again.`)
}

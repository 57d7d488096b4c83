/**
 * BYTES tensors in the protocol's three wire forms: JSON strings (HTTP), `bytes_contents` (gRPC), and the
 * length-prefixed layout of raw bytes (HTTP binary data, gRPC raw_input_contents) that Triton and KServe use:
 * each element is its byte length as a 4-byte little-endian unsigned integer, then its bytes. mlctl takes BYTES
 * as a text model's texts, so each element must be UTF-8; one that is not is the client's error, named.
 */
import {describeValue, quote, shapeText} from './client-text.js'
import {ServeError} from './serve-error.js'
import {elementCount, type BytesTensor} from './tensor.js'

export interface BytesHeader {
  name: string
  datatype: 'BYTES'
  shape: number[]
}

const LENGTH_BYTES = 4
const utf8 = new TextDecoder('utf-8', {fatal: true})

/** JSON `data`: strings, flat or nested in the natural multi-dimensional form. */
export function bytesFromJson(header: BytesHeader, data: unknown): BytesTensor {
  if (!Array.isArray(data)) throw invalid(`input ${quote(header.name)} needs "data": an array of strings`)
  const values: unknown[] = Array.isArray(data[0]) ? data.flat(Infinity) : data
  checkCount(header, values.length)
  values.forEach((value, i) => {
    if (typeof value !== 'string')
      throw invalid(`input ${quote(header.name)} element ${i} is ${describeValue(value)}, not a string (BYTES)`)
  })
  return {...header, data: values as string[]}
}

/** gRPC `bytes_contents`: one byte string per element. */
export function bytesFromContents(header: BytesHeader, contents: readonly Uint8Array[]): BytesTensor {
  checkCount(header, contents.length)
  return {...header, data: contents.map((bytes, i) => text(header, bytes, i))}
}

/** Raw bytes: every element length-prefixed, back to back, nothing after the last. */
export function bytesFromRaw(header: BytesHeader, bytes: Uint8Array): BytesTensor {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const data: string[] = []
  let offset = 0
  while (offset < bytes.byteLength) {
    const element = data.length
    if (offset + LENGTH_BYTES > bytes.byteLength)
      throw invalid(
        `raw contents of input ${quote(header.name)} end inside the 4-byte length of element ${element}; each BYTES element is its length (uint32, little-endian) then its bytes`,
      )
    const length = view.getUint32(offset, true)
    offset += LENGTH_BYTES
    if (offset + length > bytes.byteLength)
      throw invalid(
        `raw contents of input ${quote(header.name)} element ${element} claims ${length} bytes but ${bytes.byteLength - offset} follow; each BYTES element is its length (uint32, little-endian) then its bytes`,
      )
    data.push(text(header, bytes.subarray(offset, offset + length), element))
    offset += length
  }
  checkCount(header, data.length)
  return {...header, data}
}

/** Texts in the length-prefixed layout (for clients: tests and the bench). */
export function bytesToRaw(texts: readonly string[]): Buffer {
  const parts = texts.flatMap((value) => {
    const bytes = Buffer.from(value, 'utf8')
    const length = Buffer.alloc(LENGTH_BYTES)
    length.writeUInt32LE(bytes.length)
    return [length, bytes]
  })
  return Buffer.concat(parts)
}

function text(header: BytesHeader, bytes: Uint8Array, element: number): string {
  try {
    return utf8.decode(bytes)
  } catch {
    throw invalid(`input ${quote(header.name)} element ${element} is not UTF-8 text; send texts encoded as UTF-8`)
  }
}

function checkCount(header: BytesHeader, count: number): void {
  const expected = elementCount(header.shape)
  if (count !== expected)
    throw invalid(
      `input ${quote(header.name)} has ${count} BYTES elements but shape ${shapeText(header.shape)} needs ${expected}`,
    )
}

function invalid(message: string): ServeError {
  return new ServeError('invalid_argument', message)
}

/**
 * Reads an HTTP request's body within the size limit (--max-body-mb), and decompresses it when the client sent it
 * with `Content-Encoding: gzip` or `deflate` (as tritonclient's request compression does). The limit applies to the
 * bytes received and again to the decompressed bytes, so a small upload cannot inflate into a large one.
 */
import type {IncomingMessage} from 'node:http'
import {promisify} from 'node:util'
import {gunzip, inflate, type ZlibOptions} from 'node:zlib'

import {BINARY_HEADER} from './infer-json.js'
import {ServeError, UnsupportedMediaTypeError} from './serve-error.js'
import {markRequestOwned} from './tensor.js'

type Decompress = (body: Buffer, options: ZlibOptions) => Promise<Buffer>

const DECOMPRESSORS = new Map<string, Decompress>([
  ['gzip', promisify(gunzip)],
  ['x-gzip', promisify(gunzip)],
  // HTTP's "deflate" is the zlib format (RFC 1950), not raw deflate.
  ['deflate', promisify(inflate)],
])

export function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const encoding = req.headers['content-encoding']
  const body = readBody(req, maxBytes)
  return encoding === undefined ? body : body.then((compressed) => decompress(compressed, encoding, maxBytes))
}

async function decompress(body: Buffer, encoding: string, maxBytes: number): Promise<Buffer> {
  const name = encoding.trim().toLowerCase()
  if (name === 'identity' || name === '') return body
  const decompressor = DECOMPRESSORS.get(name)
  if (!decompressor) {
    throw new UnsupportedMediaTypeError(
      `Content-Encoding ${JSON.stringify(encoding.slice(0, 64))} is not supported; send the body uncompressed, or compressed with gzip or deflate`,
    )
  }
  try {
    // Stops inflating as soon as the output passes the limit.
    return await decompressor(body, {maxOutputLength: maxBytes})
  } catch (err) {
    if ((err as {code?: string}).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ServeError(
        'too_large',
        `the request body decompresses to more than ${maxBytes} bytes; send fewer rows per request or raise --max-body-mb`,
      )
    }
    throw new ServeError(
      'invalid_argument',
      `the request body is not valid ${name} data (${(err as Error).message}); check its Content-Encoding`,
    )
  }
}

/**
 * Reads the whole body. A body over the limit is still read to its end, but dropped: answering while the client
 * still sends it would cut the connection, and the client would see a reset instead of the error; the server's
 * requestTimeout bounds how long that can take. A body with a declared length goes straight into a buffer of its
 * own: no concatenation, and its tensors can use it in place and be handed to other threads without copies. Binary
 * tensor data then starts 8-byte aligned, whatever the JSON's length.
 */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'])
    const jsonLength = Number(req.headers[BINARY_HEADER])
    const pad = Number.isSafeInteger(jsonLength) && jsonLength >= 0 ? (8 - (jsonLength % 8)) % 8 : 0
    let own: Buffer | undefined
    if (Number.isSafeInteger(declared) && declared > 0 && declared <= maxBytes) {
      // Unpooled and not zero-filled: every byte after the pad is about to be written.
      const buffer = Buffer.allocUnsafeSlow(pad + declared).buffer
      markRequestOwned(buffer)
      own = Buffer.from(buffer, pad, declared)
    }
    let chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      // node:http delivers exactly the declared length, never more.
      if (own) chunk.copy(own, size)
      else if (size + chunk.length <= maxBytes) chunks.push(chunk)
      else chunks = []
      size += chunk.length
    })
    req.on('end', () => {
      if (size > maxBytes) {
        reject(
          new ServeError(
            'too_large',
            `the request body is larger than ${maxBytes} bytes; send fewer rows per request or raise --max-body-mb`,
          ),
        )
      } else {
        resolve(own ?? (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)))
      }
    })
    req.on('error', reject)
    // A client that disconnects mid-body gets neither 'end' nor always 'error'; without this the request
    // would stay in progress forever and hold up a graceful shutdown.
    req.on('close', () => {
      if (!req.complete)
        reject(new ServeError('invalid_argument', 'the client closed the connection before the body was complete'))
    })
  })
}

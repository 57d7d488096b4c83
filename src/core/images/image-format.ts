import {ImageDecodeError} from './image-decode-error.js'

/** The formats mlctl reads, by the name it reports them with. */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif'

/** The format by the file's first bytes; throws for an empty file or one mlctl does not read. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat {
  if (bytes.length === 0) throw new ImageDecodeError('empty', 'is empty (0 bytes)')
  const ascii = (start: number, end: number) => Buffer.from(bytes.subarray(start, end)).toString('latin1')
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg'
  if (ascii(0, 8) === '\x89PNG\r\n\x1a\n') return 'png'
  if (ascii(0, 4) === 'GIF8') return 'gif'
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp'
  if (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') return 'tiff'
  if (ascii(4, 8) === 'ftyp' && ['avif', 'avis'].includes(ascii(8, 12))) return 'avif'
  const known = describeOtherFormat(bytes, ascii)
  throw new ImageDecodeError(
    'unsupported',
    `is ${known ?? 'not an image mlctl reads'}; mlctl reads JPEG, PNG, WebP, GIF, TIFF and AVIF`,
  )
}

function describeOtherFormat(bytes: Uint8Array, ascii: (start: number, end: number) => string): string | undefined {
  if (ascii(0, 2) === 'BM') return 'a BMP image'
  if (ascii(4, 8) === 'ftyp' && ascii(8, 12).startsWith('he')) return 'a HEIC image'
  if (ascii(0, 5) === '<?xml' || ascii(0, 4) === '<svg') return 'an SVG drawing'
  if (ascii(0, 4) === '%PDF') return 'a PDF document'
  return bytes.length < 8 ? `too short to be an image (${bytes.length} bytes)` : undefined
}

/** Whether the file has the end its format requires: a file without it was cut short (a copy or download). */
export function hasFormatEnd(format: ImageFormat, bytes: Uint8Array): boolean {
  const n = bytes.length
  switch (format) {
    case 'jpeg':
      // an end-of-image marker among the last bytes; some cameras append padding after it
      for (let i = n - 2; i >= Math.max(0, n - 1024); i--) if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) return true
      return false
    case 'png':
      return Buffer.from(bytes.subarray(n - 8, n - 4)).toString('latin1') === 'IEND'
    case 'gif':
      return bytes[n - 1] === 0x3b
    case 'webp':
      return n >= 8 && Buffer.from(bytes.buffer, bytes.byteOffset, n).readUInt32LE(4) + 8 <= n
    default:
      return true
  }
}

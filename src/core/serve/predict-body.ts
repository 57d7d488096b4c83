/**
 * What a POST /predict body holds, by its Content-Type: JSON instances, one image (image/jpeg, image/png,
 * ...; also a bare body as `curl -T photo.jpg` sends it), or image files in multipart/form-data
 * (`curl -F file=@a.jpg -F file=@b.jpg`). Anything else is 415.
 */
import {multipartBoundary, parseMultipart} from './multipart-body.js'
import {ServeError, UnsupportedMediaTypeError} from './serve-error.js'

export interface UploadedImage {
  /** The file name the client gave in a form, else the form field's name; none for a bare image body. */
  name?: string
  bytes: Buffer
}

/** The image types decodeImage reads (image/jpg and image/pjpeg: what some clients send for JPEG). */
const IMAGE_TYPES = new Set([
  'image/jpeg',
  'image/jpg',
  'image/pjpeg',
  'image/png',
  'image/webp',
  'image/gif',
  'image/tiff',
  'image/avif',
])

export type PredictBody = {kind: 'json'; body: Buffer} | {kind: 'images'; images: UploadedImage[]}

export function classifyPredictBody(contentType: string | undefined, body: Buffer): PredictBody {
  const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase()
  // text/plain: what some clients label any text with; /predict read every body as JSON before it took images.
  if (mediaType === 'application/json' || mediaType.endsWith('+json') || mediaType === 'text/plain')
    return {kind: 'json', body}
  if (IMAGE_TYPES.has(mediaType)) return {kind: 'images', images: [{bytes: body}]}
  if (mediaType === 'multipart/form-data') return {kind: 'images', images: formImages(contentType!, body)}
  // curl -T sends no Content-Type, and some clients send every upload as octet-stream: JSON starts with
  // { or [, an image never does.
  if (mediaType === '' || mediaType === 'application/octet-stream' || mediaType === 'application/x-www-form-urlencoded')
    return looksLikeJson(body) ? {kind: 'json', body} : {kind: 'images', images: [{bytes: body}]}
  throw new UnsupportedMediaTypeError(
    `Content-Type ${JSON.stringify(mediaType.slice(0, 64))} is not supported by /predict; send JSON {"instances": [...]}, an image (image/jpeg, image/png, image/webp, image/gif, image/tiff or image/avif), or multipart/form-data with image files`,
  )
}

function formImages(contentType: string, body: Buffer): UploadedImage[] {
  const files = parseMultipart(body, multipartBoundary(contentType)).filter(
    (part) => part.filename !== undefined || part.contentType?.toLowerCase().startsWith('image/'),
  )
  if (files.length === 0)
    throw new ServeError(
      'invalid_argument',
      'the multipart/form-data body has no file; send images as file fields, e.g. curl -F file=@photo.jpg',
    )
  return files.map((part) => ({name: part.filename || part.name, bytes: part.data}))
}

function looksLikeJson(body: Buffer): boolean {
  for (const byte of body) {
    // whitespace
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue
    return byte === 0x7b || byte === 0x5b
  }
  return false
}

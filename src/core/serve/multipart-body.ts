/**
 * Splits a `multipart/form-data` body (RFC 7578: what `curl -F file=@photo.jpg` and browser forms send)
 * into its parts. Each part's bytes are a view of the body, not a copy.
 */
import {ServeError} from './serve-error.js'

export interface FormPart {
  /** The form field's name. */
  name: string
  /** The uploaded file's name, when the part is a file. */
  filename?: string
  contentType?: string
  data: Buffer
}

const CRLF = Buffer.from('\r\n')
const HEADER_END = Buffer.from('\r\n\r\n')

/** The boundary of a multipart Content-Type, or a 400 naming what is wrong. */
export function multipartBoundary(contentType: string): string {
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType)
  const boundary = match?.[1] ?? match?.[2]
  if (!boundary || boundary.length > 70)
    throw new ServeError(
      'invalid_argument',
      'a multipart/form-data request needs a boundary of 1 to 70 characters in its Content-Type',
    )
  return boundary
}

export function parseMultipart(body: Buffer, boundary: string): FormPart[] {
  const delimiter = Buffer.from(`--${boundary}`)
  const malformed = (why: string) =>
    new ServeError('invalid_argument', `the multipart/form-data body is malformed: ${why}`)
  let at = body.indexOf(delimiter)
  if (at < 0) throw malformed(`it never has the boundary "${boundary}" of its Content-Type`)
  const parts: FormPart[] = []
  for (;;) {
    at += delimiter.length
    // "--" after a delimiter closes the body.
    if (body[at] === 0x2d && body[at + 1] === 0x2d) return parts
    if (!body.subarray(at, at + 2).equals(CRLF)) throw malformed('a boundary is not followed by a line break')
    const headersEnd = body.indexOf(HEADER_END, at + 2)
    if (headersEnd < 0) throw malformed('a part has no blank line after its headers')
    const headers = parseHeaders(body.toString('latin1', at + 2, headersEnd))
    const next = body.indexOf(Buffer.concat([CRLF, delimiter]), headersEnd + 4)
    if (next < 0) throw malformed('the last part is not closed by the boundary (was the body cut short?)')
    const disposition = headers.get('content-disposition') ?? ''
    const name = parameter(disposition, 'name')
    if (name === undefined) throw malformed('a part has no Content-Disposition: form-data; name="..."')
    const filename = parameter(disposition, 'filename')
    const contentType = headers.get('content-type')
    parts.push({
      name,
      ...(filename !== undefined && {filename}),
      ...(contentType !== undefined && {contentType}),
      data: body.subarray(headersEnd + 4, next),
    })
    at = next + CRLF.length
  }
}

function parseHeaders(text: string): Map<string, string> {
  const headers = new Map<string, string>()
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
  }
  return headers
}

/** A Content-Disposition parameter, quoted or not; file names arrive as UTF-8 bytes read as latin1. */
function parameter(disposition: string, key: string): string | undefined {
  const match = new RegExp(`;\\s*${key}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]+))`, 'i').exec(disposition)
  if (!match) return undefined
  const value = match[1]?.replace(/\\(.)/g, '$1') ?? match[2]
  return Buffer.from(value, 'latin1').toString('utf8')
}

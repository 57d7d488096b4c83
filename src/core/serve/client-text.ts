/**
 * Client-provided names and values as error messages quote them. An error message travels back in a
 * response header (gRPC's grpc-message) whose size is limited, so quoting a name of kilobytes in full would
 * turn the answer into another error; the first 100 characters are enough to recognise what was sent.
 */
const MAX_QUOTED_CHARACTERS = 100

/** `text` in double quotes, JSON-escaped, cut after 100 characters with an ellipsis. */
export function quote(text: string): string {
  return JSON.stringify(text.length > MAX_QUOTED_CHARACTERS ? `${text.slice(0, MAX_QUOTED_CHARACTERS)}…` : text)
}

/** A client value of any JSON type, short: strings quoted (and cut), arrays and objects named, not spelled out. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return quote(value)
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object' && value !== null) return 'an object'
  return String(value)
}

const MAX_SHOWN_DIMENSIONS = 16

/** A shape as `[2,3]`; a client's shape may have any number of dimensions, so only the first 16 are written out. */
export function shapeText(shape: readonly number[]): string {
  const shown = shape.slice(0, MAX_SHOWN_DIMENSIONS).join(',')
  return `[${shape.length > MAX_SHOWN_DIMENSIONS ? `${shown},… (${shape.length} dimensions)` : shown}]`
}

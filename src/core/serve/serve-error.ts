/**
 * An error a serving request ends with. The kind, not the protocol, is decided where the problem is found;
 * the HTTP and gRPC front ends each translate it to their own status.
 */
export type ServeErrorKind =
  'invalid_argument' | 'unauthenticated' | 'not_found' | 'too_large' | 'unavailable' | 'deadline_exceeded' | 'internal'

export class ServeError extends Error {
  constructor(
    readonly kind: ServeErrorKind,
    message: string,
  ) {
    super(message)
    this.name = 'ServeError'
  }
}

/**
 * HTTP 415, a status no ServeError kind stands for (gRPC has no media types): a Content-Encoding or
 * Content-Type the server cannot read.
 */
export class UnsupportedMediaTypeError extends Error {}

export const HTTP_STATUS: Record<ServeErrorKind, number> = {
  invalid_argument: 400,
  unauthenticated: 401,
  not_found: 404,
  too_large: 413,
  unavailable: 503,
  deadline_exceeded: 504,
  internal: 500,
}

/** Anything that is not a ServeError escaped our checks: report it as an internal failure, not a crash. */
export function asServeError(err: unknown): ServeError {
  if (err instanceof ServeError) return err
  return new ServeError('internal', `inference failed: ${err instanceof Error ? err.message : String(err)}`)
}

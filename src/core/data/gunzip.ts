import {gunzipSync} from 'node:zlib'

import {UserError} from '../errors.js'

/** Decompresses gzip data and passes anything else through, so readers accept .gz and raw files alike. */
export function gunzipIfCompressed(bytes: Uint8Array, label: string): Uint8Array {
  if (!(bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b)) return bytes
  try {
    return gunzipSync(bytes)
  } catch (error) {
    throw new UserError(
      `${label} is not a valid gzip file (${(error as Error).message}); delete it and fetch it again.`,
    )
  }
}

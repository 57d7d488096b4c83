/**
 * API-key check for `Authorization: Bearer KEY` (HTTP header or gRPC metadata).
 * Both sides are hashed first so the comparison takes the same time whatever the key's length or
 * how many leading characters a guess gets right.
 */
import {createHash, timingSafeEqual} from 'node:crypto'

export type AuthCheck = (authorization: string | undefined) => boolean

/** With no key configured, every request is allowed. */
export function createAuthCheck(apiKey: string | undefined): AuthCheck {
  if (!apiKey) return () => true
  const expected = sha256(apiKey)
  return (authorization) => {
    const match = /^Bearer (.+)$/i.exec(authorization ?? '')
    return timingSafeEqual(sha256(match ? match[1] : ''), expected) && match !== null
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

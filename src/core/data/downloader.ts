import {createHash} from 'node:crypto'
import {mkdir, open, rename, rm, stat} from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import {join} from 'node:path'

import {UserError} from '../errors.js'
import {removeStaleTempFiles, tempPathBeside} from '../io/temp-files.js'
import type {RemoteFile} from './registry.js'
import {sha256OfFile} from './sha256.js'

/** What the downloader reports; core never prints, the command turns these into bars or lines. */
export type DownloadEvent =
  | {type: 'cached'; file: string; path: string}
  | {type: 'start'; file: string; url: string; total: number}
  | {type: 'progress'; file: string; received: number; total: number}
  | {type: 'mirror-failed'; file: string; url: string; reason: string}
  | {type: 'done'; file: string; path: string}

export interface DownloadOptions {
  /** Base URLs tried in order; the file's URL is base + file name. */
  mirrors: string[]
  onEvent?: (event: DownloadEvent) => void
  /** Longest wait for a connection or for the next bytes of the body. */
  timeoutMs?: number
}

const DEFAULT_TIMEOUT_MS = 10_000
const MAX_REDIRECTS = 5

/**
 * Every one of `files` in `dir` (ensureFile, one after another), their paths in order, and the sentence a
 * dataset's origin gives for them.
 */
export async function ensureFiles(
  files: RemoteFile[],
  dir: string,
  options: DownloadOptions,
): Promise<{paths: string[]; verified: string}> {
  const paths: string[] = []
  for (const file of files) paths.push(await ensureFile(file, dir, options))
  const count = files.length
  return {paths, verified: `sha256 of ${count} downloaded file${count === 1 ? '' : 's'} matches the registry`}
}

/**
 * Returns the path of `file` inside `dir`, downloading it if it is not already there and verified.
 * A download goes to a temporary name and is renamed only once its size and sha256 match, so the
 * cache never holds a half-written or unverified file. Mirrors are tried in order; if all fail the
 * error names the file and what went wrong at each mirror.
 */
export async function ensureFile(file: RemoteFile, dir: string, options: DownloadOptions): Promise<string> {
  const path = join(dir, file.name)
  if (await isVerified(path, file)) {
    options.onEvent?.({type: 'cached', file: file.name, path})
    return path
  }

  await mkdir(dir, {recursive: true})
  removeStaleTempFiles(dir, file.name)
  const failures: string[] = []
  for (const mirror of options.mirrors) {
    const url = mirrorUrl(mirror, file.name)
    const temp = tempPathBeside(path)
    try {
      await downloadVerified(url, temp, file, options)
      await rename(temp, path)
      options.onEvent?.({type: 'done', file: file.name, path})
      return path
    } catch (error) {
      await rm(temp, {force: true})
      const reason = (error as Error).message
      failures.push(`${url}: ${reason}`)
      options.onEvent?.({type: 'mirror-failed', file: file.name, url, reason})
    }
  }

  const tried = failures.length > 0 ? failures.join('; ') : 'no mirror configured'
  throw new UserError(
    `Could not download ${file.name} (${tried}); check the network, pass --mirror URL, or --from DIR with files you already have.`,
  )
}

export function mirrorUrl(mirror: string, fileName: string): string {
  return mirror.endsWith('/') ? mirror + fileName : `${mirror}/${fileName}`
}

/** A file counts as cached only if its size and sha256 match; anything else is removed and fetched again. */
async function isVerified(path: string, file: RemoteFile): Promise<boolean> {
  const info = await stat(path).catch(() => undefined)
  if (!info) return false
  if (info.size === file.bytes && (await sha256OfFile(path)) === file.sha256) return true
  await rm(path, {force: true})
  return false
}

async function downloadVerified(url: string, temp: string, file: RemoteFile, options: DownloadOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const response = await get(url, timeoutMs, MAX_REDIRECTS)
  options.onEvent?.({type: 'start', file: file.name, url, total: file.bytes})

  const hash = createHash('sha256')
  const out = await open(temp, 'w')
  let received = 0
  try {
    for await (const chunk of response) {
      const bytes = chunk as Buffer
      received += bytes.length
      if (received > file.bytes) throw new Error(`body is larger than the expected ${file.bytes} bytes`)
      hash.update(bytes)
      await out.write(bytes)
      options.onEvent?.({type: 'progress', file: file.name, received, total: file.bytes})
    }
  } catch (error) {
    if (received > file.bytes) throw error
    throw new Error(
      `connection broke after ${received} of ${file.bytes} bytes (${describeNetworkError(error, timeoutMs)})`,
      {cause: error},
    )
  } finally {
    await out.close()
  }

  if (received < file.bytes) throw new Error(`truncated body: received ${received} of ${file.bytes} bytes`)
  const actual = hash.digest('hex')
  if (actual !== file.sha256) throw new Error(`sha256 mismatch: got ${actual}, expected ${file.sha256}`)
}

/** GET that follows redirects and resolves with a 200 response, or rejects with a readable reason. */
function get(url: string, timeoutMs: number, redirectsLeft: number): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const target = new URL(url)
    const client = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : undefined
    if (!client) {
      reject(new Error(`unsupported protocol ${target.protocol}`))
      return
    }

    let body: http.IncomingMessage | undefined
    const request = client.get(target, {timeout: timeoutMs}, (response) => {
      const status = response.statusCode ?? 0
      const location = response.headers.location
      if (status >= 300 && status < 400 && location) {
        response.resume()
        if (redirectsLeft === 0) reject(new Error('too many redirects'))
        else resolve(get(new URL(location, target).toString(), timeoutMs, redirectsLeft - 1))
        return
      }

      if (status !== 200) {
        response.resume()
        reject(new Error(`HTTP ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''}`))
        return
      }

      body = response
      resolve(response)
    })
    // The socket timeout covers connecting and every later pause in the body.
    request.on('timeout', () => {
      const error = new TimeoutError(timeoutMs)
      body?.destroy(error)
      request.destroy(error)
    })
    request.on('error', (error) => reject(new Error(describeNetworkError(error, timeoutMs))))
  })
}

class TimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs / 1000} s`)
  }
}

function describeNetworkError(error: unknown, timeoutMs: number): string {
  const code = (error as NodeJS.ErrnoException).code
  if (error instanceof TimeoutError) return error.message
  if (code === 'ECONNREFUSED') return 'connection refused'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found (no network?)'
  if (code === 'ETIMEDOUT') return `no answer within ${timeoutMs / 1000} s`
  if (code === 'ECONNRESET') return 'connection reset'
  return (error as Error).message
}

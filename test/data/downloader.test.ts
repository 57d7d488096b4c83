import {mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {type DownloadEvent, ensureFile} from '../../src/core/data/downloader.js'
import {UserError} from '../../src/core/errors.js'
import {type FileServer, refusedPortUrl, startFileServer} from './file-server.js'
import {patternBytes, remoteFile} from './fixtures.js'

const body = Buffer.from(patternBytes(200_000, 7))
const file = remoteFile('blob.bin', body)

let server: FileServer
let dir: string

beforeAll(async () => {
  server = await startFileServer({'blob.bin': body})
})
afterAll(() => server.close())
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlctl-dl-'))
  server.requests.length = 0
})
afterEach(() => rm(dir, {recursive: true, force: true}))

const mirror = (behaviour: string) => `${server.url}/${behaviour}/`

describe('ensureFile', () => {
  it('downloads, verifies and keeps the file under its own name only', async () => {
    const events: DownloadEvent[] = []
    const path = await ensureFile(file, dir, {mirrors: [mirror('ok')], onEvent: (e) => events.push(e)})
    expect(path).toBe(join(dir, 'blob.bin'))
    expect(await readFile(path)).toEqual(body)
    expect(await readdir(dir)).toEqual(['blob.bin'])
    expect(events[0]).toMatchObject({type: 'start', total: body.length})
    expect(events.at(-1)).toMatchObject({type: 'done', path})
    const progress = events.filter((e) => e.type === 'progress')
    expect(progress.at(-1)).toMatchObject({received: body.length})
  })

  it('falls back to the next mirror after an HTTP 500', async () => {
    const events: DownloadEvent[] = []
    await ensureFile(file, dir, {mirrors: [mirror('error500'), mirror('ok')], onEvent: (e) => events.push(e)})
    expect(server.requests).toEqual(['/error500/blob.bin', '/ok/blob.bin'])
    expect(events.find((e) => e.type === 'mirror-failed')).toMatchObject({reason: 'HTTP 500 Internal Server Error'})
    expect(await readdir(dir)).toEqual(['blob.bin'])
  })

  it('falls back to the next mirror after a refused connection', async () => {
    const refused = `${await refusedPortUrl()}/ok/`
    const events: DownloadEvent[] = []
    await ensureFile(file, dir, {mirrors: [refused, mirror('ok')], onEvent: (e) => events.push(e)})
    expect(events.find((e) => e.type === 'mirror-failed')).toMatchObject({reason: 'connection refused'})
    expect(await readFile(join(dir, 'blob.bin'))).toEqual(body)
  })

  it('follows redirects', async () => {
    await ensureFile(file, dir, {mirrors: [mirror('redirect')]})
    expect(server.requests).toEqual(['/redirect/blob.bin', '/ok/blob.bin'])
  })

  it('rejects a checksum mismatch on every mirror and keeps nothing', async () => {
    const error = await ensureFile(file, dir, {mirrors: [mirror('corrupt'), mirror('corrupt')]}).catch((e) => e)
    expect(error).toBeInstanceOf(UserError)
    expect(error.message).toMatch(/^Could not download blob\.bin \(.*sha256 mismatch: got [0-9a-f]{64}, expected/)
    expect(error.message.match(/sha256 mismatch/g)).toHaveLength(2)
    expect(await readdir(dir)).toEqual([])
  })

  it('rejects a body that ends early and one whose connection drops, keeping nothing', async () => {
    const error = await ensureFile(file, dir, {mirrors: [mirror('short'), mirror('cut')]}).catch((e) => e)
    expect(error).toBeInstanceOf(UserError)
    expect(error.message).toContain(`truncated body: received ${body.length >> 1} of ${body.length} bytes`)
    expect(error.message).toMatch(/\/cut\/blob\.bin: connection broke after \d+ of 200000 bytes/)
    expect(await readdir(dir)).toEqual([])
  })

  it('gives up on a server that never answers after the timeout', async () => {
    const started = Date.now()
    const error = await ensureFile(file, dir, {mirrors: [mirror('silent')], timeoutMs: 300}).catch((e) => e)
    expect(error.message).toContain('no answer within 0.3 s')
    expect(Date.now() - started).toBeLessThan(5000)
    expect(await readdir(dir)).toEqual([])
  })

  it('uses a cached, verified file without any request', async () => {
    await writeFile(join(dir, 'blob.bin'), body)
    const events: DownloadEvent[] = []
    const path = await ensureFile(file, dir, {mirrors: [mirror('ok')], onEvent: (e) => events.push(e)})
    expect(path).toBe(join(dir, 'blob.bin'))
    expect(server.requests).toEqual([])
    expect(events).toEqual([{type: 'cached', file: 'blob.bin', path}])
  })

  it('removes temp files left by a killed run, not those of a live one', async () => {
    const dead = '.blob.bin.999999999.tmp' // pid far above any pid_max
    const live = `.blob.bin.${process.ppid}.tmp` // the test runner's parent: another live process
    await writeFile(join(dir, dead), 'half')
    await writeFile(join(dir, live), 'half')
    await ensureFile(file, dir, {mirrors: [mirror('ok')]})
    expect((await readdir(dir)).sort()).toEqual([live, 'blob.bin'])
  })

  it('replaces a cached file that fails verification', async () => {
    await writeFile(join(dir, 'blob.bin'), Buffer.from('not the file'))
    await ensureFile(file, dir, {mirrors: [mirror('ok')]})
    expect(server.requests).toEqual(['/ok/blob.bin'])
    expect(await readFile(join(dir, 'blob.bin'))).toEqual(body)
  })
})

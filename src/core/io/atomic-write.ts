import {closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync} from 'node:fs'
import {dirname} from 'node:path'

import {tempPathBeside} from './temp-files.js'

/**
 * Writes a file so that readers (and a process killed mid-write) only ever see the old or the new
 * content: write a temp file beside it, fsync, rename over the target, fsync the directory. `durable: false`
 * leaves out the two fsyncs, for a cache whose reader checks what it reads: the rename still keeps a
 * killed process's half-written file from view, and what a power cut could lose is decoded again.
 */
export function writeFileAtomic(
  path: string,
  chunks: Uint8Array | string | Array<Uint8Array | string>,
  {durable = true}: {durable?: boolean} = {},
): void {
  const tmp = tempPathBeside(path)
  const fd = openSync(tmp, 'w')
  try {
    for (const chunk of Array.isArray(chunks) ? chunks : [chunks]) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      let written = 0
      while (written < bytes.byteLength) written += writeSync(fd, bytes, written)
    }
    if (durable) fsyncSync(fd)
  } catch (error) {
    closeSync(fd)
    rmSync(tmp, {force: true})
    throw error
  }
  closeSync(fd)
  renameSync(tmp, path)
  if (durable) syncDirectory(dirname(path))
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

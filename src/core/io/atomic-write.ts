import {closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync} from 'node:fs'
import {dirname} from 'node:path'

import {tempPathBeside} from './temp-files.js'

/**
 * Writes a file so that readers (and a process killed mid-write) only ever see the old or the new
 * content: write a temp file beside it, fsync, rename over the target, fsync the directory.
 */
export function writeFileAtomic(path: string, chunks: Uint8Array | string | Array<Uint8Array | string>): void {
  const tmp = tempPathBeside(path)
  const fd = openSync(tmp, 'w')
  try {
    for (const chunk of Array.isArray(chunks) ? chunks : [chunks]) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      let written = 0
      while (written < bytes.byteLength) written += writeSync(fd, bytes, written)
    }
    fsyncSync(fd)
  } catch (error) {
    closeSync(fd)
    rmSync(tmp, {force: true})
    throw error
  }
  closeSync(fd)
  renameSync(tmp, path)
  syncDirectory(dirname(path))
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

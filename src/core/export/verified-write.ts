import {renameSync, rmSync} from 'node:fs'
import {writeFileAtomic} from '../io/atomic-write.js'
import {tempPathBeside} from '../io/temp-files.js'

/**
 * Writes `bytes` to a temporary file beside `path` and lets `check` judge the file as it lies on disk.
 * Only a passing file is renamed to `path`; otherwise, on any error, and when `signal` is aborted (Ctrl-C)
 * meanwhile, the temporary file is removed and whatever was at `path` before stays untouched.
 */
export async function writeVerifiedFile<R extends {passed: boolean}>(
  path: string,
  bytes: Uint8Array,
  check: (tmpPath: string) => Promise<R>,
  signal?: AbortSignal,
): Promise<R> {
  signal?.throwIfAborted()
  const tmp = tempPathBeside(path, 'unverified')
  try {
    writeFileAtomic(tmp, bytes)
    const result = await check(tmp)
    signal?.throwIfAborted()
    if (result.passed) renameSync(tmp, path)
    return result
  } finally {
    rmSync(tmp, {force: true})
  }
}

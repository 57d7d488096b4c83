import {randomBytes} from 'node:crypto'
import {readdir, rm} from 'node:fs/promises'
import {join} from 'node:path'

/**
 * Temp names in the data cache are `<prefix>.<pid>-<random>.part`, so that what a killed process left
 * behind (Ctrl-C or kill -9 skip our cleanup) can be told from what a live one is still writing.
 */
export function tempName(prefix: string): string {
  return `${prefix}.${process.pid}-${randomBytes(4).toString('hex')}.part`
}

/** Removes the temp files or folders named after `prefix` in `dir` whose process is gone; a live process's stay. */
export async function removeAbandonedTemps(dir: string, prefix: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const pid =
      name.startsWith(`${prefix}.`) && name.endsWith('.part')
        ? Number.parseInt(name.slice(prefix.length + 1), 10)
        : Number.NaN
    if (Number.isInteger(pid) && !isRunning(pid)) await rm(join(dir, name), {recursive: true, force: true})
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

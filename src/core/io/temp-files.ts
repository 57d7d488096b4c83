import {readdirSync, rmSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'

/**
 * What a temp file is for: `tmp` content being written, `old` a folder being replaced, `unverified` a file
 * written in full but still being checked.
 */
export type TempKind = 'tmp' | 'old' | 'unverified'

/**
 * Where this process keeps `path`'s content until it is complete: a hidden name beside it that records the
 * writer's pid, so that a later command can tell the leftovers of a killed writer from those of a live one.
 */
export function tempPathBeside(path: string, kind: TempKind = 'tmp'): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${kind}`)
}

/** `.<target>.<pid>.<kind>`, where target may itself be a temp name (a temp file written atomically). */
const TEMP_NAME = /^\.(.+)\.(\d+)\.(tmp|old|unverified)$/

/**
 * Removes the temp files and folders in `dir` (named by tempPathBeside) whose writer is no longer running:
 * a process killed mid-write never removes its own. With `target`, only the temp files of that name, for
 * directories that mlctl does not own. Best effort: what cannot be removed stays for a later command.
 */
export function removeStaleTempFiles(dir: string, target?: string): void {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return
  }
  for (const name of names) {
    const temp = parseTempName(name)
    if (!temp || (target !== undefined && temp.target !== target) || isRunning(temp.pid)) continue
    try {
      rmSync(join(dir, name), {recursive: true, force: true})
    } catch {
      // Left for a later command: failing to tidy up must not fail the command.
    }
  }
}

function parseTempName(name: string): {target: string; pid: number} | undefined {
  const match = TEMP_NAME.exec(name)
  if (!match) return undefined
  // The outermost pid wrote the file; the target is the file it was meant to become.
  let target = match[1]
  for (let inner = TEMP_NAME.exec(target); inner; inner = TEMP_NAME.exec(target)) target = inner[1]
  return {target, pid: Number(match[2])}
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0) // signal 0 only checks that the process exists
    return true
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

import {existsSync, mkdirSync, statSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {UserError} from '../errors.js'
import {removeStaleTempFiles} from '../io/temp-files.js'

/** The files mlctl train writes in a run directory, relative to it. */
export const RUN_FILES = {
  config: 'config.json',
  metrics: 'metrics.jsonl',
  curve: 'learning-curve.svg',
  model: 'model',
  checkpoints: 'checkpoints',
  last: join('checkpoints', 'last'),
  best: join('checkpoints', 'best'),
} as const

/** Text runs only: the Hugging Face tokenizer.json that made the token ids; evaluate and train --resume use it. */
export const RUN_TOKENIZER_FILE = 'tokenizer.json'

/** The ONNX file export-onnx writes into a run directory unless told otherwise, and serve looks for there. */
export const RUN_ONNX_FILE = 'model.onnx'

/**
 * Creates a new run directory and never reuses an existing one: an explicit path that exists is an error,
 * the default `runs/<timestamp>` gets a numeric suffix instead.
 */
export function createRunDir(out: string | undefined, now = new Date()): string {
  if (out !== undefined) {
    mkdirParents(dirname(out), out)
    if (!tryMkdir(out))
      throw new UserError(
        statSync(out).isDirectory()
          ? `run directory ${out} already exists; choose another --out, or continue it with --resume ${out}`
          : `cannot create run directory ${out}: it is a file; choose another --out`,
      )
    mkdirSync(join(out, RUN_FILES.checkpoints))
    return out
  }
  const stamp = now.toISOString().replace(/[:]/g, '-').replace(/\..*$/, '')
  mkdirParents('runs', 'runs')
  for (let n = 0; ; n++) {
    const dir = join('runs', n === 0 ? stamp : `${stamp}-${n}`)
    if (tryMkdir(dir)) {
      mkdirSync(join(dir, RUN_FILES.checkpoints))
      return dir
    }
  }
}

/** Removes what killed processes left half-written in a run directory: their temp files and folders. */
export function removeStaleRunTempFiles(runDir: string): void {
  removeStaleTempFiles(runDir)
  removeStaleTempFiles(join(runDir, RUN_FILES.checkpoints))
}

/** mkdir -p, with a message naming the file that stands where a directory must go. */
function mkdirParents(dir: string, runDir: string): void {
  try {
    mkdirSync(dir, {recursive: true})
  } catch (error) {
    let existing = dir
    while (!existsSync(existing)) existing = dirname(existing)
    if (statSync(existing).isDirectory()) throw error
    throw new UserError(
      `cannot create run directory ${runDir}: ${existing} is a file, not a directory; choose another --out`,
    )
  }
}

function tryMkdir(dir: string): boolean {
  try {
    mkdirSync(dir)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
}

/**
 * predict's INPUT arguments as the files to predict: a file as given, a folder's image files (recursively,
 * sorted), a glob's matches. An argument that names nothing becomes an input with an error, so that the
 * other inputs are still predicted and the output says which one failed.
 */
import {readdirSync, realpathSync, statSync} from 'node:fs'
import {extname, join, relative} from 'node:path'

import {IMAGE_EXTENSIONS} from '../data/image-folder-scan.js'
import {globBase, globToRegExp, isGlob} from './glob-pattern.js'

export interface InputFile {
  /** The path as the user would type it (relative paths stay relative). */
  input: string
  /** Why it cannot be predicted, when that is known before reading it. */
  error?: string
}

export function expandInputs(args: string[]): InputFile[] {
  const files: InputFile[] = []
  for (const arg of args) {
    const stats = statOrUndefined(arg)
    if (stats?.isDirectory()) {
      const found = imagesUnder(arg)
      files.push(...(found.length > 0 ? found : [{input: arg, error: 'is a folder with no image files'}]))
    } else if (stats) {
      files.push({input: arg})
    } else if (isGlob(arg)) {
      const found = globMatches(arg)
      files.push(...(found.length > 0 ? found : [{input: arg, error: 'matches no image files'}]))
    } else {
      files.push({input: arg, error: 'not found'})
    }
  }
  return files
}

function imagesUnder(dir: string): InputFile[] {
  return filesUnder(dir, IMAGE_EXTENSIONS)
}

/**
 * Files below `dir` whose extension (lower case, with the dot) is one of `extensions`, sorted, without hidden
 * files; each real folder is walked once (symlink loops).
 */
export function filesUnder(dir: string, extensions: ReadonlySet<string>, seen = new Set<string>()): InputFile[] {
  const real = realpathSync(dir)
  if (seen.has(real)) return []
  seen.add(real)
  const files: InputFile[] = []
  const entries = readdirSync(dir).sort()
  for (const name of entries) {
    if (name.startsWith('.')) continue
    const path = join(dir, name)
    const stats = statOrUndefined(path)
    if (stats?.isDirectory()) files.push(...filesUnder(path, extensions, seen))
    else if (stats?.isFile() && extensions.has(extname(name).toLowerCase())) files.push({input: path})
  }
  return files
}

function globMatches(pattern: string): InputFile[] {
  const base = globBase(pattern)
  if (!statOrUndefined(base)?.isDirectory()) return []
  const regexp = globToRegExp(pattern.startsWith('./') ? pattern.slice(2) : pattern)
  const prefix = pattern.startsWith('./') ? './' : ''
  return imagesUnder(base)
    .map(({input}) => (base === '.' ? relative('.', input) : input))
    .filter((path) => regexp.test(path))
    .map((path) => ({input: base === '.' ? `${prefix}${path}` : path}))
}

function statOrUndefined(path: string) {
  try {
    return statSync(path)
  } catch {
    return undefined
  }
}

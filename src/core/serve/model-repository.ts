/**
 * The model repository's layout, as Triton's: DIR/<name>/<version>/model.onnx, where a version is a positive
 * integer. A version folder may be an mlctl run directory, which holds its model.onnx. A model given on the
 * command line as a file is read the same way, as a model whose only version is 1.
 */
import {readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'

import {UserError} from '../errors.js'
import {RUN_ONNX_FILE} from '../run/run-dir.js'
import {isModelName} from './model-sources.js'
import {FILE_VERSION, parseVersion} from './model-version.js'

/** Where a model's versions come from: one file (version 1), or a repository folder of version folders. */
export type ModelSource = {name: string; file: string} | {name: string; folder: string}

export interface VersionFile {
  version: number
  path: string
  /** the file's size, modification time and inode, which change when it is replaced; undefined if it is missing */
  stamp: string | undefined
  /** why this version cannot be loaded as it stands (its file is missing) */
  problem: string | undefined
}

export function checkRepository(dir: string): void {
  if (!statSync(dir, {throwIfNoEntry: false})?.isDirectory())
    throw new UserError(`model repository ${dir} is not a directory; lay it out as ${dir}/NAME/1/model.onnx`)
}

/**
 * The repository's model folders, as sources in name order. Entries that cannot be model names in URLs
 * (files, hidden folders) are not models. Throws if the repository cannot be read: that must not read as
 * "every model was removed".
 */
export function repositoryModels(dir: string): ModelSource[] {
  return readdirSync(dir)
    .filter((name) => isModelName(name) && isDirectory(join(dir, name)))
    .sort()
    .map((name) => ({name, folder: join(dir, name)}))
}

/** The model's versions in ascending order, or undefined once its folder is gone (the model was removed). */
export function scanVersions(source: ModelSource): VersionFile[] | undefined {
  if ('file' in source) return [versionFile(FILE_VERSION, source.file, `${source.file} not found`)]
  let entries: string[]
  try {
    entries = readdirSync(source.folder)
  } catch {
    return undefined
  }
  return entries
    .flatMap((entry) => {
      const version = parseVersion(entry)
      const folder = join(source.folder, entry)
      if (version === undefined || !isDirectory(folder)) return []
      return [versionFile(version, join(folder, RUN_ONNX_FILE), `no ${RUN_ONNX_FILE} in ${folder}`)]
    })
    .sort((a, b) => a.version - b.version)
}

function versionFile(version: number, path: string, missing: string): VersionFile {
  const stats = statSync(path, {throwIfNoEntry: false})
  const stamp = stats?.isFile() ? `${stats.size}:${stats.mtimeMs}:${stats.ino}` : undefined
  return {version, path, stamp, problem: stamp === undefined ? missing : undefined}
}

function isDirectory(path: string): boolean {
  return statSync(path, {throwIfNoEntry: false})?.isDirectory() ?? false
}

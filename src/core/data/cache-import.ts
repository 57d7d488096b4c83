import {existsSync} from 'node:fs'
import {copyFile, mkdir, rename, rm} from 'node:fs/promises'
import {basename, join} from 'node:path'

import {UserError} from '../errors.js'
import {removeStaleTempFiles, tempPathBeside} from '../io/temp-files.js'
import {CIFAR_TEST_BATCHES, CIFAR_TRAIN_BATCHES} from './cifar-reader.js'
import type {Dataset} from './dataset.js'
import {type ImageFiles, readImageDataset} from './image-dataset.js'
import {locateLocalFiles} from './local-import.js'
import type {DatasetEntry} from './registry.js'

/**
 * `fetch-data --from DIR` copies the files it verified into the data cache, beside where downloads go,
 * so that every later command finds the dataset without --from, even once DIR is gone (removable media,
 * an uninstalled package). A copy rather than a note of DIR's path: the cache then depends on nothing
 * outside it, as with downloads. The copy keeps the layout --from accepts and is read the same way.
 */
const IMPORTED = 'imported'

/** Copies the dataset's files from `from` into `datasetDir`/imported, verifies the copy, and returns it read. */
export async function importIntoCache(entry: DatasetEntry, from: string, datasetDir: string): Promise<Dataset> {
  const source = await locateLocalFiles(entry, from)
  // Copied under a temp name and renamed once verified: the cache never holds a partial or unverified copy.
  const target = join(datasetDir, IMPORTED)
  const temp = tempPathBeside(target)
  try {
    await copyFiles(filePaths(source.files), temp, datasetDir)
    const copy = await locateLocalFiles(entry, temp)
    const dataset = await readImageDataset(entry, copy.files, {
      kind: 'imported',
      location: target,
      verified: copy.verified,
      copiedFrom: from,
    })
    await replaceDir(temp, target)
    return dataset
  } finally {
    // Never hides the error that got us here; a leftover is removed by the next import.
    await rm(temp, {recursive: true, force: true}).catch(() => undefined)
  }
}

/**
 * The copy an earlier `fetch-data --from` left in `datasetDir`, read and verified; undefined when there is
 * none. A copy that fails verification is removed, as a damaged download is, so the caller fetches anew.
 */
export async function readImported(entry: DatasetEntry, datasetDir: string): Promise<Dataset | undefined> {
  const dir = join(datasetDir, IMPORTED)
  if (!existsSync(dir)) return undefined
  removeStaleTempFiles(datasetDir, IMPORTED)
  try {
    const local = await locateLocalFiles(entry, dir)
    return await readImageDataset(entry, local.files, {kind: 'imported', location: dir, verified: local.verified})
  } catch (error) {
    if (!(error instanceof UserError)) throw error
    await rm(dir, {recursive: true, force: true})
    return undefined
  }
}

async function copyFiles(paths: string[], temp: string, datasetDir: string): Promise<void> {
  try {
    await mkdir(datasetDir, {recursive: true})
    removeStaleTempFiles(datasetDir, IMPORTED)
    await mkdir(temp)
    for (const path of paths) await copyFile(path, join(temp, basename(path)))
  } catch (error) {
    const {code, message} = error as NodeJS.ErrnoException
    if (!code) throw error
    throw new UserError(
      `Cannot copy the files into the cache ${datasetDir} (${message}); free some space, or pass --data-dir DIR where you can write.`,
    )
  }
}

function filePaths(files: ImageFiles): string[] {
  if (files.kind === 'idx') return [...files.paths.values()]
  if (files.kind === 'cifar-archive') return [files.path]
  return [...CIFAR_TRAIN_BATCHES, ...CIFAR_TEST_BATCHES].map((name) => join(files.dir, name))
}

/** A directory cannot be renamed over a non-empty one: the old copy moves aside under a temp name first. */
async function replaceDir(from: string, to: string): Promise<void> {
  const old = tempPathBeside(to, 'old')
  await rename(to, old).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error
  })
  await rename(from, to)
  await rm(old, {recursive: true, force: true})
}

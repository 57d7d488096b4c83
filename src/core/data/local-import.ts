import {readdir} from 'node:fs/promises'
import {join} from 'node:path'

import {UserError} from '../errors.js'
import {CIFAR_TEST_BATCHES, CIFAR_TRAIN_BATCHES} from './cifar-reader.js'
import type {ImageFiles} from './image-dataset.js'
import type {DatasetEntry, FileRole} from './registry.js'
import {sha256OfFile} from './sha256.js'

export interface LocalFiles {
  files: ImageFiles
  /** What will have been verified once the files are read, for the summary. */
  verified: string
}

/**
 * Finds the files of a registry dataset in a directory the user already has (`--from DIR`), such as
 * Debian's /usr/share/datasets/fashion-mnist. IDX files may be .gz or raw. Their .gz bytes need not
 * match upstream (a re-compressed copy is fine), so IDX files are verified by the sha256 of their
 * decompressed content; a CIFAR-10 archive by its own sha256; extracted CIFAR-10 batches only by
 * their structure, as no checksum of them is published.
 */
export async function locateLocalFiles(entry: DatasetEntry, dir: string): Promise<LocalFiles> {
  const present = new Set(
    await readdir(dir).catch(() => {
      throw new UserError(`--from ${dir}: no such directory.`)
    }),
  )

  if (entry.format === 'idx') return locateIdx(entry, dir, present)
  if (entry.format === 'cifar10-binary') return locateCifar(entry, dir, present)
  throw new UserError(`${entry.name} is embedded in mlctl; --from applies to downloadable datasets only.`, 2)
}

function locateIdx(entry: DatasetEntry, dir: string, present: Set<string>): LocalFiles {
  const paths = new Map<FileRole, string>()
  for (const file of entry.files) {
    const candidates = [file.name, file.name.replace(/\.gz$/, '')]
    const found = candidates.find((name) => present.has(name))
    if (!found)
      throw new UserError(`--from ${dir}: ${entry.name} needs ${candidates.join(' or ')}, which is not there.`)
    paths.set(file.role, join(dir, found))
  }

  const verified = entry.files.every((f) => f.contentSha256)
    ? `sha256 of the decompressed content of ${entry.files.length} files matches the published ${entry.name}`
    : 'IDX headers, sizes and counts only (no published checksum of the content)'
  return {files: {kind: 'idx', paths}, verified}
}

async function locateCifar(entry: DatasetEntry, dir: string, present: Set<string>): Promise<LocalFiles> {
  const archive = entry.files[0]
  if (present.has(archive.name)) {
    const path = join(dir, archive.name)
    const actual = await sha256OfFile(path)
    if (actual !== archive.sha256)
      throw new UserError(
        `${path} has sha256 ${actual}, expected ${archive.sha256}; it is not the published ${archive.name}.`,
      )
    return {files: {kind: 'cifar-archive', path}, verified: `sha256 of ${archive.name} matches the registry`}
  }

  const batches = [...CIFAR_TRAIN_BATCHES, ...CIFAR_TEST_BATCHES]
  for (const batchDir of [dir, join(dir, 'cifar-10-batches-bin')]) {
    const names = batchDir === dir ? present : new Set(await readdir(batchDir).catch(() => []))
    if (batches.every((name) => names.has(name))) {
      return {
        files: {kind: 'cifar-batches', dir: batchDir},
        verified: 'record structure and labels only (no published checksum of the extracted batches)',
      }
    }
  }

  throw new UserError(
    `--from ${dir}: cifar10 needs ${archive.name} or the extracted ${batches.join(', ')}, which are not there.`,
  )
}

import {join} from 'node:path'

import {UserError} from '../errors.js'
import {importIntoCache, readImported} from './cache-import.js'
import {resolveDataDir} from './cache-dir.js'
import type {Dataset} from './dataset.js'
import {type DownloadEvent, ensureFiles} from './downloader.js'
import {type ImageFiles, readImageDataset} from './image-dataset.js'
import {locateLocalFiles} from './local-import.js'
import {loadMnistSample} from './mnist-sample.js'
import {type DatasetEntry, findDataset, type FileRole, isTextEntry, REGISTRY} from './registry.js'

export interface LoadDatasetOptions {
  /** Cache root (--data-dir); default: $MLCTL_DATA_DIR, then the user's cache directory. */
  dataDir?: string
  /** Read the files from this directory instead of downloading them (--from). */
  from?: string
  /** With `from`: also copy the verified files into the cache, where later loads without `from` find them. */
  copyIntoCache?: boolean
  /** Download from this base URL instead of the registry's mirrors (--mirror). */
  mirror?: string
  onDownload?: (event: DownloadEvent) => void
  /** Connect and idle timeout per request. */
  timeoutMs?: number
  /** Tests substitute small datasets; everyone else uses the built-in registry. */
  registry?: readonly DatasetEntry[]
}

/**
 * The one entry point train, evaluate and fetch-data use to get a registry dataset into memory: from
 * --from, else from a copy fetch-data --from left in the cache, else downloaded (or already cached).
 */
export async function loadDataset(name: string, options: LoadDatasetOptions = {}): Promise<Dataset> {
  const entry = findDataset(name, options.registry ?? REGISTRY)
  if (isTextEntry(entry))
    throw new UserError(
      `${entry.name} is a text dataset; its token ids depend on a tokenizer (loadTextRegistryDataset).`,
      2,
    )
  if (entry.format === 'embedded') {
    if (options.from || options.mirror)
      throw new UserError(
        `${entry.name} is embedded in mlctl; --from and --mirror apply to downloadable datasets only.`,
        2,
      )
    return loadMnistSample()
  }

  const datasetDir = join(resolveDataDir(options.dataDir), entry.name)
  if (options.from) {
    if (options.copyIntoCache) return importIntoCache(entry, options.from, datasetDir)
    const local = await locateLocalFiles(entry, options.from)
    return readImageDataset(entry, local.files, {kind: 'local', location: options.from, verified: local.verified})
  }

  const imported = await readImported(entry, datasetDir)
  if (imported) return imported

  const mirrors = options.mirror ? [options.mirror] : entry.mirrors
  const downloaded = await ensureFiles(entry.files, datasetDir, {
    mirrors,
    onEvent: options.onDownload,
    timeoutMs: options.timeoutMs,
  })
  const paths = new Map<FileRole, string>(entry.files.map((file, i) => [file.role, downloaded.paths[i]]))
  const files: ImageFiles =
    entry.format === 'idx' ? {kind: 'idx', paths} : {kind: 'cifar-archive', path: paths.get('archive')!}
  return readImageDataset(entry, files, {kind: 'download', location: datasetDir, verified: downloaded.verified})
}

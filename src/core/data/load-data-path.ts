import {statSync} from 'node:fs'
import {basename, extname, resolve} from 'node:path'

import {UserError} from '../errors.js'
import {resolveDataDir} from './cache-dir.js'
import {type CsvOptions, loadCsvDataset} from './csv-table.js'
import type {Dataset, TextDataset} from './dataset.js'
import {type ImageFolderOptions, loadImageFolder} from './image-folder.js'
import {IMAGE_EXTENSIONS} from './image-folder-scan.js'
import {loadTextCsv, type TextCsvOptions} from './text-csv.js'
import {listTextFolder, readTextFiles, textFolderDataset, type TextFolderOptions} from './text-folder.js'

export interface DataPathOptions {
  /** The column to predict (a CSV's --target). */
  target?: string
  /** A CSV's text column (--text-column): the file is a text dataset rather than a table. */
  textColumn?: string
  csv?: CsvOptions
  text?: TextCsvOptions & TextFolderOptions
  /** Image folders; the cache directory defaults to the user's data cache. */
  images?: ImageFolderOptions
}

/**
 * The one reader of `--data PATH`: a CSV file is a table, or a text dataset when a text column is given; a
 * folder is a text folder or an image folder, told apart by its files (a folder of both is an error that says so).
 */
export async function loadDataPath(path: string, options: DataPathOptions = {}): Promise<Dataset | TextDataset> {
  let isDirectory: boolean
  try {
    isDirectory = statSync(path).isDirectory()
  } catch {
    throw new UserError(
      `--data ${path} does not exist; pass a CSV file or a folder with one subfolder of images or texts per class`,
    )
  }
  if (!isDirectory) {
    if (options.target === undefined)
      throw new UserError(`--data ${path} needs --target COL, the column the model predicts.`, 2)
    if (options.textColumn !== undefined) return loadTextCsv(path, options.textColumn, options.target, options.text)
    return loadCsvDataset(path, options.target, options.csv)
  }
  const files = listTextFolder(path)
  const texts = files.filter((f) => extname(f.path).toLowerCase() === '.txt').length
  const images = files.filter((f) => IMAGE_EXTENSIONS.has(extname(f.path).toLowerCase())).length
  if (texts > 0 && images > 0)
    throw new UserError(
      `${path} mixes images (${images} files) and texts (${texts} .txt files); put each kind in a folder of its own.`,
    )
  if (texts === 0) return loadImageFolder(path, options.images ?? {cacheDir: resolveDataDir()})
  const parts = readTextFiles(files, path, options.text)
  return textFolderDataset(parts, basename(resolve(path)), {kind: 'text-folder', location: path}, options.text ?? {})
}

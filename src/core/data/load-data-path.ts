import {statSync} from 'node:fs'

import {UserError} from '../errors.js'
import {type CsvOptions, loadCsvDataset} from './csv-table.js'
import type {Dataset} from './dataset.js'
import {type ImageFolderOptions, loadImageFolder} from './image-folder.js'

export interface DataPathOptions {
  /** A CSV file's column to predict (--target). */
  target?: string
  csv?: CsvOptions
  images: ImageFolderOptions
}

/** The one reader of `--data PATH`: a CSV file is a table, a directory a folder of class subfolders of images. */
export async function loadDataPath(path: string, options: DataPathOptions): Promise<Dataset> {
  let isDirectory: boolean
  try {
    isDirectory = statSync(path).isDirectory()
  } catch {
    throw new UserError(`--data ${path} does not exist; pass a CSV file or a folder of class subfolders of images`)
  }
  if (isDirectory) return loadImageFolder(path, options.images)
  if (options.target === undefined) throw new UserError(`--data ${path} needs --target COL, the column to predict`, 2)
  return loadCsvDataset(path, options.target, options.csv)
}

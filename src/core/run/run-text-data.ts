import {existsSync, statSync} from 'node:fs'

import {
  type DownloadEvent,
  findDataset,
  isTextEntry,
  loadDataPath,
  loadTextRegistryDataset,
  type TextDataset,
} from '../data/index.js'
import {withHashedBigrams} from '../data/hashed-bigram-dataset.js'
import {UserError} from '../errors.js'
import type {RunText} from './read-run.js'

export interface TextDataSource {
  /** A CSV file (with target and a text column) or a text folder. */
  data?: string
  target?: string
  textColumn?: string
  /** A registry text dataset. */
  dataset?: string
  from?: string
  dataDir?: string
  onDownload?: (event: DownloadEvent) => void
}

/**
 * Texts for a trained text model (evaluate, export's verification sample): tokenized with the model's own
 * tokenizer to its sequence length, labels mapped to its classes. A run's own CSV is split as train split
 * it, so `--split test` is the same rows. Empty texts are kept: a model gives an answer for them too.
 */
export async function loadTextDataFor(
  text: RunText,
  classNames: string[] | undefined,
  source: TextDataSource,
): Promise<TextDataset> {
  const dataset = await loadTokenizedTexts(text, classNames, source)
  return text.bigramBuckets ? (withHashedBigrams(dataset, text.bigramBuckets) as TextDataset) : dataset
}

async function loadTokenizedTexts(
  text: RunText,
  classNames: string[] | undefined,
  source: TextDataSource,
): Promise<TextDataset> {
  const options = {tokenizer: text.tokenizer, maxLength: text.maxLength, allowEmptyText: true}
  if (source.data !== undefined) {
    const textColumn = source.textColumn ?? text.textColumn
    if (textColumn === undefined && existsSync(source.data) && statSync(source.data).isFile())
      throw new UserError(`${source.data}: name its text column with --text-column COL (the model takes text).`, 2)
    const dataset = await loadDataPath(source.data, {
      target: source.target,
      textColumn,
      text: {...options, ...(classNames && {classNames, classes: classNames})},
    })
    if (!dataset.text)
      throw new UserError(`${source.data} is not text, but the model takes text; pass a text CSV or a text folder.`, 2)
    return dataset as TextDataset
  }
  if (source.dataset === undefined)
    throw new UserError('name the texts to use: --data FILE.csv|DIR or --dataset NAME', 2)
  const entry = findDataset(source.dataset)
  if (!isTextEntry(entry))
    throw new UserError(`${entry.name} is not a text dataset, but the model takes text; pass a text dataset.`, 2)
  return loadTextRegistryDataset(entry, {
    from: source.from,
    dataDir: source.dataDir,
    onDownload: source.onDownload,
    text: options,
  })
}

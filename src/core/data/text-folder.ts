import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {UserError} from '../errors.js'
import {DEFAULT_CSV_SEED, DEFAULT_TEST_FRACTION} from './csv-table.js'
import type {DatasetOrigin, TextDataset} from './dataset.js'
import {type LabelledTexts, splitTexts, type TextOptions, tokenizeTextDataset} from './text-dataset.js'

/** A file of a text folder or archive: its path below the dataset's root ('/'-separated) and its bytes. */
export interface TextFile {
  path: string
  read: () => Uint8Array
}

export interface TextFolderOptions extends TextOptions {
  /** Only these class folders, in this order (imdb leaves out its unlabelled `unsup`); default: all, sorted. */
  classes?: string[]
  allowEmptyText?: boolean
  testFraction?: number
  seed?: number
}

export interface TextFolderParts {
  train: LabelledTexts
  test?: LabelledTexts
  classNames: string[]
  /** Binary files and files other than .txt found in class folders. */
  skippedFiles: number
}

/** Bytes of a file inspected for NUL, the mark of a binary file (text in UTF-8 never holds one). */
const SNIFF_BYTES = 8192

/** Every file below `dir`, with paths relative to it. */
export function listTextFolder(dir: string): TextFile[] {
  const files: TextFile[] = []
  const visit = (relative: string) => {
    let entries
    try {
      entries = readdirSync(join(dir, relative), {withFileTypes: true})
    } catch {
      throw new UserError(`Cannot read the folder ${join(dir, relative)}; check the path and its permissions.`)
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = relative ? `${relative}/${entry.name}` : entry.name
      if (entry.isDirectory()) visit(path)
      else if (entry.isFile()) files.push({path, read: () => readFileSync(join(dir, path))})
    }
  }
  visit('')
  return files
}

/**
 * Labelled texts laid out as Keras' text_dataset_from_directory and the IMDB archive do: one folder per class
 * holding .txt files, optionally below `train/` and `test/`. Files are UTF-8 (a byte order mark is dropped);
 * one that is not is an error naming it, a binary file (it holds a NUL byte) is skipped and counted, as is
 * any file but .txt in a class folder. Files directly in the root or the split folders (IMDB's urls_*.txt,
 * *.feat) are not examples and are left alone.
 */
export function readTextFiles(files: TextFile[], label: string, options: TextFolderOptions = {}): TextFolderParts {
  const hasSplits = files.some((f) => f.path.startsWith('train/'))
  const bySplit = new Map<string, Map<string, TextFile[]>>()
  for (const file of files) {
    const parts = file.path.split('/')
    const [split, rest] = hasSplits ? [parts[0], parts.slice(1)] : ['train', parts]
    if (rest.length < 2 || (hasSplits && split !== 'train' && split !== 'test')) continue
    const classes = bySplit.get(split) ?? new Map<string, TextFile[]>()
    bySplit.set(split, classes)
    const inClass = classes.get(rest[0])
    if (inClass) inClass.push(file)
    else classes.set(rest[0], [file])
  }
  const trainClasses = bySplit.get('train')
  if (!trainClasses || trainClasses.size === 0)
    throw new UserError(
      `${label} has no class folders${hasSplits ? ' in train/' : ''}; a text folder holds one folder per class of .txt files (e.g. pos/ and neg/), optionally below train/ and test/.`,
    )
  const classNames = options.classes ?? [...trainClasses.keys()].sort()
  for (const name of classNames)
    if (!trainClasses.has(name))
      throw new UserError(`${label} has no class folder "${name}"${hasSplits ? ' in train/' : ''}.`)
  if (classNames.length < 2)
    throw new UserError(`${label} has one class folder ("${classNames[0]}"); a classifier needs at least two.`)
  let skippedFiles = 0
  const read = (split: string): LabelledTexts => {
    const texts: string[] = []
    const labels: string[] = []
    const classes = bySplit.get(split)!
    for (const name of classes.keys())
      if (!classNames.includes(name) && options.classes === undefined)
        throw new UserError(
          `${label}: ${split}/${name} is a class the training folders do not have; add it to train/ or remove it.`,
        )
    for (const name of classNames) {
      for (const file of classes.get(name) ?? []) {
        if (!file.path.toLowerCase().endsWith('.txt')) {
          skippedFiles++
          continue
        }
        const text = decodeText(file, label)
        if (text === undefined) {
          skippedFiles++
          continue
        }
        if (text.trim() === '' && !options.allowEmptyText)
          throw new UserError(`${label}: ${file.path} is empty; remove it or pass --allow-empty-text.`)
        texts.push(text)
        labels.push(name)
      }
    }
    if (texts.length === 0)
      throw new UserError(`${label}${hasSplits ? `/${split}` : ''} holds no .txt files in its class folders.`)
    return {texts, labels}
  }
  const train = read('train')
  const test = bySplit.has('test') ? read('test') : undefined
  return {train, ...(test && {test}), classNames, skippedFiles}
}

/** The file's text, or undefined for a binary file. */
function decodeText(file: TextFile, label: string): string | undefined {
  const decoded = decodeTextBytes(file.read())
  if ('invalidByte' in decoded)
    throw new UserError(
      `${label}: ${file.path} is not UTF-8 text (byte ${decoded.invalidByte}); convert it to UTF-8 (e.g. iconv -f latin1 -t utf-8) or remove it.`,
    )
  return 'text' in decoded ? decoded.text : undefined
}

/**
 * A text file's bytes as a text folder reads them: UTF-8 (a byte order mark dropped), or binary (a NUL byte
 * near the start), or the first byte that is not UTF-8.
 */
export function decodeTextBytes(bytes: Uint8Array): {text: string} | {binary: true} | {invalidByte: number} {
  if (bytes.subarray(0, SNIFF_BYTES).includes(0)) return {binary: true}
  try {
    return {text: new TextDecoder('utf-8', {fatal: true, ignoreBOM: false}).decode(bytes)}
  } catch {
    return {invalidByte: firstInvalidByte(bytes)}
  }
}

function firstInvalidByte(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', {fatal: true})
  let low = 0
  let high = bytes.length
  // The longest valid prefix, give or take a multi-byte character: good enough to point at the spot.
  while (low < high) {
    const mid = Math.ceil((low + high) / 2)
    try {
      decoder.decode(bytes.subarray(0, mid))
      low = mid
    } catch {
      high = mid - 1
    }
  }
  return low
}

/** Labelled texts as a tokenized dataset. Without test/ a seeded share of the texts is held out. */
export function textFolderDataset(
  parts: TextFolderParts,
  name: string,
  origin: Omit<DatasetOrigin, 'verified'> & {verified?: string},
  options: TextFolderOptions,
): TextDataset {
  const splits = parts.test
    ? {train: parts.train, test: parts.test}
    : splitTexts(parts.train, options.testFraction ?? DEFAULT_TEST_FRACTION, options.seed ?? DEFAULT_CSV_SEED)
  const count = parts.train.texts.length + (parts.test?.texts.length ?? 0)
  const skipped = parts.skippedFiles > 0 ? `, ${parts.skippedFiles} binary or non-.txt files skipped` : ''
  return tokenizeTextDataset(splits, parts.classNames, options, {
    name,
    origin: {...origin, verified: origin.verified ?? `${count} texts in ${parts.classNames.length} classes${skipped}`},
    ...(parts.skippedFiles > 0 && {skippedFiles: parts.skippedFiles}),
  })
}

/**
 * Predicts texts with a text model: `--text` strings, text files with one example per line (blank lines
 * are not examples), a CSV file's text column (every row, as evaluate reads it) and folders of .txt files
 * (one example per file, as train reads a text folder; class folders are allowed), tokenized with the
 * model's own tokenizer (ModelTokenIds, the steps evaluate's text data takes) and fed in batches as
 * input_ids and attention_mask, each batch padded only to its longest text when the model takes any length.
 * A file that cannot be read becomes one prediction with the error, and every other input is still predicted.
 */
import {readFile, stat} from 'node:fs/promises'
import {basename, dirname, extname} from 'node:path'

import {csvRecords, decodeTextBytes} from '../data/index.js'
import {UserError} from '../errors.js'

import {tokenFeeds} from '../engine/index.js'
import type {ModelTokenIds} from '../text/model-token-ids.js'
import {filesUnder} from './input-files.js'
import {type Prediction, readPredictions} from './prediction.js'
import type {PredictionModel} from './prediction-model.js'

/** One text to predict and what the output calls it: the text itself, or its file and line. */
interface TextExample {
  input: string
  text: string
}

type Example = TextExample | {input: string; error: string}

export interface TextPredictions {
  predictions: Prediction[]
  /** Folders of the inputs named as one of the model's classes (its target, as a CSV's target column). */
  classFolders: string[]
}

const TEXT_EXTENSIONS = new Set(['.txt'])

export async function predictTexts(
  model: PredictionModel,
  tokens: ModelTokenIds,
  pad: 'model' | 'longest',
  sources: {texts: string[]; files: string[]; textColumn?: string},
  options: {batchSize: number; topK: number; onProgress?: (done: number, total: number) => void},
): Promise<TextPredictions> {
  const examples: Example[] = sources.texts.map((text) => ({input: text, text}))
  const classNames = new Set(model.output.reading.classNames ?? [])
  const classFolders = new Set<string>()
  for (const file of sources.files) {
    if ((await stat(file).catch(() => undefined))?.isDirectory()) {
      const files = filesUnder(file, TEXT_EXTENSIONS)
      if (files.length === 0) examples.push({input: file, error: 'is a folder with no .txt files'})
      for (const {input} of files) {
        examples.push(await wholeFileExample(input))
        const folder = basename(dirname(input))
        if (classNames.has(folder)) classFolders.add(folder)
      }
    } else {
      examples.push(...(await fileExamples(file, sources.textColumn)))
    }
  }
  const predictions: Prediction[] = examples.map((e) => ('error' in e ? e : {input: e.input, error: 'not predicted'}))
  const pending = examples.flatMap((e, i) => ('text' in e ? [i] : []))
  for (let from = 0; from < pending.length; from += options.batchSize) {
    const batch = pending.slice(from, from + options.batchSize)
    const texts = batch.map((i) => (examples[i] as TextExample).text)
    const {ids, width} = tokens.encode(texts, pad)
    const feeds = tokenFeeds(ids, [batch.length, width], tokens.padId)
    const output = (await model.source.session.run(feeds))[model.output.name]
    const read = readPredictions(
      batch.map((i) => examples[i].input),
      output,
      batch.length,
      model.output.reading,
      options.topK,
    )
    batch.forEach((i, n) => (predictions[i] = read[n]))
    options.onProgress?.(from + batch.length, pending.length)
  }
  return {predictions, classFolders: [...classFolders].sort()}
}

/** A text folder's file: its whole text is one example. */
async function wholeFileExample(file: string): Promise<Example> {
  let bytes: Buffer
  try {
    bytes = await readFile(file)
  } catch (error) {
    return {input: file, error: `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`}
  }
  const decoded = decodeTextBytes(bytes)
  if ('binary' in decoded) return {input: file, error: 'is a binary file (it holds a NUL byte), not text'}
  if ('invalidByte' in decoded)
    return {input: file, error: `is not UTF-8 text (byte ${decoded.invalidByte}); convert it to UTF-8`}
  if (decoded.text.trim() === '') return {input: file, error: 'is empty'}
  return {input: file, text: decoded.text}
}

async function fileExamples(file: string, textColumn: string | undefined): Promise<Example[]> {
  let content: string
  try {
    content = await readFile(file, 'utf8')
  } catch (error) {
    return [
      {input: file, error: `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`},
    ]
  }
  if (extname(file).toLowerCase() === '.csv') {
    try {
      return csvTexts(content, file, textColumn)
    } catch (error) {
      if (!(error instanceof UserError)) throw error
      return [{input: file, error: error.message}]
    }
  }
  // \r\n files: the \r is not part of the example.
  return content
    .split(/\r?\n/)
    .flatMap((text, line) => (text.trim() === '' ? [] : [{input: `${file} line ${line + 1}`, text}]))
}

function csvTexts(content: string, file: string, textColumn: string | undefined): TextExample[] {
  if (textColumn === undefined) throw new UserError('name its text column with --text-column COL')
  const rows = csvRecords(content, file)
  if (rows.length > 0 && !(textColumn in rows[0]))
    throw new UserError(
      `has no column "${textColumn}" (it has ${Object.keys(rows[0]).join(', ')}); pass --text-column COL`,
    )
  return rows.map((row, r) => ({input: `${file} row ${r + 1}`, text: row[textColumn]}))
}

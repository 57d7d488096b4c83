/**
 * Predicts texts with a text model: `--text` strings, text files with one example per line (blank lines
 * are not examples) and a CSV file's text column (every row, as evaluate reads it), tokenized with the
 * model's own tokenizer (ModelTokenIds, the steps evaluate's text data takes) and fed in batches as
 * input_ids and attention_mask, each batch padded only to its longest text when the model takes any length.
 * A file that cannot be read becomes one prediction with the error, and every other input is still predicted.
 */
import {readFile} from 'node:fs/promises'
import {extname} from 'node:path'

import {csvRecords} from '../data/index.js'
import {UserError} from '../errors.js'

import {tokenFeeds} from '../engine/index.js'
import type {ModelTokenIds} from '../text/model-token-ids.js'
import {type Prediction, readPredictions} from './prediction.js'
import type {PredictionModel} from './prediction-model.js'

/** One text to predict and what the output calls it: the text itself, or its file and line. */
interface TextExample {
  input: string
  text: string
}

export async function predictTexts(
  model: PredictionModel,
  tokens: ModelTokenIds,
  pad: 'model' | 'longest',
  sources: {texts: string[]; files: string[]; textColumn?: string},
  options: {batchSize: number; topK: number; onProgress?: (done: number, total: number) => void},
): Promise<Prediction[]> {
  const examples: Array<TextExample | {input: string; error: string}> = sources.texts.map((text) => ({
    input: text,
    text,
  }))
  for (const file of sources.files) examples.push(...(await fileExamples(file, sources.textColumn)))
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
  return predictions
}

async function fileExamples(
  file: string,
  textColumn: string | undefined,
): Promise<Array<TextExample | {input: string; error: string}>> {
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

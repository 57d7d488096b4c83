/**
 * Predicts the rows of CSV files with a table model: each row's named cells, in any column order, go through
 * the encoding the model was trained with (encodeTableRows), then the model in batches. A file that cannot
 * be read or whose rows do not fit the model becomes one prediction with the error (naming the row and
 * column), and the other files are still predicted.
 */
import {readFile} from 'node:fs/promises'

import {csvRecords, encodeTableRows} from '../data/index.js'
import {tensor} from '../engine/ort-session.js'
import {UserError} from '../errors.js'
import {standardizeInto} from '../onnx/input-normalization.js'
import {type Prediction, readPredictions} from './prediction.js'
import type {PredictionModel} from './prediction-model.js'

export interface TablePredictions {
  predictions: Prediction[]
  /** Columns some file carried that the model does not take (its target), left out. */
  ignoredColumns: string[]
}

export async function predictTableFiles(
  model: PredictionModel,
  files: string[],
  options: {batchSize: number; topK: number},
): Promise<TablePredictions> {
  const predictions: Prediction[] = []
  const ignored = new Set<string>()
  for (const file of files) {
    try {
      const result = await predictTableFile(model, file, options)
      predictions.push(...result.predictions)
      for (const column of result.ignoredColumns) ignored.add(column)
    } catch (error) {
      if (!(error instanceof UserError)) throw error
      predictions.push({input: file, error: error.message})
    }
  }
  return {predictions, ignoredColumns: [...ignored]}
}

async function predictTableFile(
  model: PredictionModel,
  file: string,
  options: {batchSize: number; topK: number},
): Promise<TablePredictions> {
  if (model.input.kind !== 'table') throw new Error('predictTableFile needs a table model')
  const {table} = model.input
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new UserError(`cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
  const rows = csvRecords(text, file)
  const name = (row: number) => `${file} row ${row + 1}`
  const encoded = encodeTableRows(rows, table.schema, name)
  const {features} = encoded
  const inputs = table.normalization ? new Float32Array(encoded.inputs.length) : encoded.inputs
  if (table.normalization) standardizeInto(encoded.inputs, inputs, table.normalization, [features])
  const predictions: Prediction[] = []
  for (let from = 0; from < encoded.count; from += options.batchSize) {
    const count = Math.min(options.batchSize, encoded.count - from)
    const feed = tensor(inputs.subarray(from * features, (from + count) * features), [count, features])
    const output = (await model.source.session.run({[table.name]: feed}))[model.output.name]
    const names = Array.from({length: count}, (_, i) => name(from + i))
    predictions.push(...readPredictions(names, output, count, model.output.reading, options.topK))
  }
  return {predictions, ignoredColumns: encoded.ignoredColumns}
}

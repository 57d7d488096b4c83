/**
 * `mlctl predict`'s computation: opens the model, expands the inputs, predicts them in batches and says how
 * long it took. Image models take image files, folders and globs; table models take CSV files; text models
 * take --text strings, text files with one example per line and CSV files' text column.
 */
import {availableParallelism} from 'node:os'
import {extname} from 'node:path'

import {UserError} from '../errors.js'
import type {ImageInputOverrides} from './image-input.js'
import {expandInputs} from './input-files.js'
import {predictImages} from './predict-images.js'
import {predictTableFiles} from './predict-table.js'
import {predictTexts} from './predict-texts.js'
import type {Prediction} from './prediction.js'
import {openPredictionModel, type PredictionModel} from './prediction-model.js'
import {checkBatchOptions} from '../evaluate/evaluate-model.js'

/**
 * Image files queued for decoding ahead of the model: enough for the decode pool to send its threads
 * full batches of small files; the decoded inputs waiting are model-sized, so this costs little memory.
 */
const DECODE_AHEAD = 256

export interface PredictRequest {
  /** A run directory or an .onnx file. */
  model: string
  inputs: string[]
  /** Texts given on the command line (--text), predicted before any text file's lines. */
  texts?: string[]
  /** A text model's CSV inputs: the column holding the texts; default: the one the run was trained on. */
  textColumn?: string
  batchSize: number
  topK: number
  overrides: ImageInputOverrides
  /** onnxruntime intra-op threads; default: all cores. */
  threads?: number
  /** Image files queued for decoding at once; default DECODE_AHEAD. */
  concurrency?: number
  onProgress?: (done: number, total: number) => void
}

/** What `mlctl predict --json` prints. */
export interface PredictResult {
  model: {path: string; kind: 'run' | 'onnx'; task: 'classification' | 'regression'; input: ModelInputSummary}
  predictions: Prediction[]
  /** Inputs that could not be predicted (their predictions carry the error). */
  failed: number
  /** Table inputs: columns the rows carry that the model does not take (the target), left out. */
  ignoredColumns?: string[]
  /** Text folders: folders named as the model's classes (the target), which predict does not read. */
  classFolders?: string[]
  timing: {seconds: number; inputsPerSecond: number; batchSize: number}
}

export type ModelInputSummary =
  | {
      kind: 'image'
      width: number
      height: number
      channels: number
      resize: string
      type: string
      /** float32 inputs: who set the pixels' scaling (the model's input_normalization, the flags, or nobody). */
      scaling?: 'model' | 'flags' | 'none'
    }
  | {kind: 'table'; columns: string[]}
  /** Tokens per text the model takes (longer texts are truncated); with hashed bigrams after them. */
  | {kind: 'text'; sequenceLength: number; bigrams: boolean}

export async function predictInputs(request: PredictRequest): Promise<PredictResult> {
  checkBatchOptions(request)
  const texts = request.texts ?? []
  if (request.inputs.length === 0 && texts.length === 0)
    throw new UserError('nothing to predict; pass input files, or --text "..." for a text model', 2)
  const threads = request.threads ?? availableParallelism()
  const model = await openPredictionModel(request.model, request.overrides, threads)
  try {
    if (texts.length > 0 && model.input.kind !== 'text')
      throw new UserError(
        `--text is for text models; this model takes ${model.input.kind === 'table' ? 'table rows' : 'images'}`,
        2,
      )
    const started = performance.now()
    let predictions: Prediction[]
    let ignoredColumns: string[] | undefined
    let classFolders: string[] | undefined
    if (model.input.kind === 'text') {
      const textColumn = request.textColumn ?? model.source.facts.text?.textColumn
      const {tokens, pad} = model.input
      const text = await predictTexts(model, tokens, pad, {texts, files: request.inputs, textColumn}, request)
      predictions = text.predictions
      classFolders = text.classFolders
    } else if (model.input.kind === 'table') {
      const tables = await predictTableFiles(model, request.inputs, request)
      predictions = tables.predictions
      ignoredColumns = tables.ignoredColumns
    } else {
      const csv = request.inputs.find((input) => extname(input).toLowerCase() === '.csv')
      if (csv)
        throw new UserError(`${csv} is a CSV file but the model takes images; pass image files, folders or globs`, 2)
      predictions = await predictImages(model, expandInputs(request.inputs), {
        batchSize: request.batchSize,
        topK: request.topK,
        concurrency: request.concurrency ?? DECODE_AHEAD,
        onProgress: request.onProgress,
      })
    }
    const seconds = (performance.now() - started) / 1000
    return {
      model: {
        path: request.model,
        kind: model.source.kind,
        task: model.output.reading.task,
        input: summarizeInput(model, request.overrides),
      },
      predictions,
      failed: predictions.filter((p) => 'error' in p).length,
      ...(ignoredColumns && ignoredColumns.length > 0 && {ignoredColumns}),
      ...(classFolders && classFolders.length > 0 && {classFolders}),
      timing: {seconds, inputsPerSecond: predictions.length / seconds, batchSize: request.batchSize},
    }
  } finally {
    await model.source.session.release()
  }
}

function summarizeInput(model: PredictionModel, overrides: ImageInputOverrides): ModelInputSummary {
  if (model.input.kind === 'table') return {kind: 'table', columns: model.input.table.schema.columns}
  if (model.input.kind === 'text') {
    const text = model.source.facts.text!
    return {kind: 'text', sequenceLength: text.maxLength, bigrams: text.bigramBuckets !== undefined}
  }
  const {preprocessing, type, normalization} = model.input.image
  const scaling = overrides.scaling ? 'flags' : normalization ? 'model' : 'none'
  return {kind: 'image', ...preprocessing, type, ...(type === 'float32' && {scaling})}
}

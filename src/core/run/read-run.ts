import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {type ColumnEncoding, type Dataset, isColumnEncodingList} from '../data/index.js'
import type {LossConfig} from '../training/index.js'
import {type ImagePreprocessing, isImagePreprocessing} from '../images/image-preprocessing.js'
import {UserError} from '../errors.js'
import {readTokenizerFile} from '../text/read-tokenizer-file.js'
import type {TokenizerJson} from '../text/tokenizer-json.js'
import type {NamedTensor} from '../model/parameters.js'
import type {ModelSpec} from '../model/spec.js'
import {MODEL_JSON, readLayersModelDir} from '../tfjs-format/layers-model-dir.js'
import {RUN_FILES, RUN_TOKENIZER_FILE} from './run-dir.js'

type Task = Dataset['task']

/** config.json: what train records about a run when it starts. */
export interface RunRecord {
  /** train's settings, keyed by flag name */
  config: object
  spec: ModelSpec
  dataset: {
    name: string
    task: Task
    inputShape: number[]
    classNames?: string[]
    featureNames?: string[]
    targetName?: string
    columnEncodings?: ColumnEncoding[]
    /** An image folder's preprocessing (see core/images/image-preprocessing.ts). */
    imagePreprocessing?: ImagePreprocessing
    /** Text runs: the tokenizer is the run's tokenizer.json; texts are cut or padded to maxLength tokens. */
    text?: {vocabSize: number; padId: number; maxLength: number; bigramBuckets?: number; textColumn?: string}
  }
  versions: {mlctl: string; node: string; onnxruntime: string}
}

/**
 * What train stores beside the spec in model/model.json when the run finishes (a type, not an interface,
 * so that it passes as the layers format's free-form metadata).
 */
export type RunModelMetadata = {
  dataset?: string
  task?: Task
  loss?: LossConfig
  classNames?: string[]
  featureNames?: string[]
  targetName?: string
  /** How each CSV column becomes the inputs named in featureNames (see core/data/table-columns.ts). */
  columnEncodings?: ColumnEncoding[]
  /** How an image file becomes the model's input (an image-folder run). */
  imagePreprocessing?: ImagePreprocessing
  bestEpoch?: {epoch: number; metric: number}
  /** Text: the tokenizer (Hugging Face tokenizer.json) and the ids it makes (see Dataset.text). */
  text?: {vocabSize: number; padId: number; tokenizer: object; bigramBuckets?: number}
}

/** One line of metrics.jsonl: an epoch's results, appended by the training loop. */
export interface EpochRecord {
  epoch: number
  trainLoss: number
  trainMetric: number
  valLoss?: number
  valMetric?: number
  lr: number
  imagesPerSec: number
  seconds: number
}

/** A run directory as config.json describes it. */
export interface Run {
  dir: string
  /** train's settings as recorded, unchecked: train checks every value again when it resumes */
  config: Readonly<Record<string, unknown>>
  datasetName: string
  /**
   * Where train read its data: a registry dataset, or a CSV file, the column it predicts and whether rows with
   * a missing cell were left out (train --drop-missing), which changes the rows the splits are drawn from, and
   * the column that ordered the splits by time (train --split-by).
   */
  data:
    | {dataset: string}
    | {csv: string; target: string; dropMissing?: boolean; splitBy?: string}
    /** An image folder, read with the preprocessing train chose and holding out --test-split of each class. */
    | {folder: string; imagePreprocessing: ImagePreprocessing; testFraction?: number}
    /** A text folder (class subfolders of .txt files), tokenized with the run's tokenizer.json. */
    | {textFolder: string}
  /** The fraction train held out for validation, when recorded. */
  valSplit?: number
  task: Task
  classNames?: string[]
  /** Text runs: the tokenizer train saved (tokenizer.json), the sequence length and a CSV's text column. */
  text?: RunText
}

export interface RunText {
  tokenizer: TokenizerJson
  maxLength: number
  /** train --ngrams 2: hashed bigrams follow each text's tokens (data/hashed-bigram-dataset.ts). */
  bigramBuckets?: number
  textColumn?: string
}

/** A model/ folder: the model a finished run hands on. */
export interface RunModel {
  dir: string
  spec: ModelSpec
  /** Engine layout (NCHW / OIHW). */
  weights: NamedTensor[]
  metadata: RunModelMetadata
}

/** Reads and checks a run's config.json; the run need not have finished. */
export function readRun(dir: string): Run {
  const path = configPath(dir)
  const damaged = (why: string) => new UserError(`${path} ${why}; the run directory is damaged`)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw damaged(`cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
  let record: unknown
  try {
    record = JSON.parse(text)
  } catch {
    throw damaged('is not valid JSON')
  }
  if (!isObject(record) || !isObject(record.config)) throw damaged("does not record train's settings")
  const config = record.config
  const dataset = isObject(record.dataset) ? record.dataset : {}
  const datasetName = stringOrUndefined(dataset.name) ?? stringOrUndefined(config.dataset)
  if (datasetName === undefined) throw damaged('does not record which dataset the run was trained on')
  const task = dataset.task
  if (task !== 'classification' && task !== 'regression')
    throw damaged('does not record the task (classification or regression)')
  const classNames = isStringList(dataset.classNames) ? dataset.classNames : undefined
  const runText = isObject(dataset.text) ? readRunText(dir, dataset.text) : undefined
  return {
    dir,
    config,
    datasetName,
    data: runData(config, dataset, datasetName, damaged),
    ...(typeof config['val-split'] === 'number' && {valSplit: config['val-split']}),
    task,
    ...(classNames && {classNames}),
    ...(runText && {text: runText}),
  }
}

function readRunText(dir: string, recorded: Record<string, unknown>): RunText {
  const path = join(dir, RUN_TOKENIZER_FILE)
  if (!existsSync(path))
    throw new UserError(`${dir} is a text run without its ${RUN_TOKENIZER_FILE}; the run directory is damaged`)
  const maxLength = recorded.maxLength
  if (typeof maxLength !== 'number' || !Number.isInteger(maxLength) || maxLength < 1)
    throw new UserError(
      `${join(dir, RUN_FILES.config)} does not record the text's length; the run directory is damaged`,
    )
  return {
    tokenizer: readTokenizerFile(path),
    maxLength,
    ...(typeof recorded.bigramBuckets === 'number' && {bigramBuckets: recorded.bigramBuckets}),
    ...(typeof recorded.textColumn === 'string' && {textColumn: recorded.textColumn}),
  }
}

/**
 * Where the run read its data: a CSV file (--data with --target), an image or text folder (--data DIR) or a
 * dataset.
 */
function runData(
  config: Record<string, unknown>,
  dataset: Record<string, unknown>,
  datasetName: string,
  damaged: (why: string) => UserError,
): Run['data'] {
  const data = stringOrUndefined(config.data)
  const target = stringOrUndefined(config.target)
  if (data !== undefined && target !== undefined)
    return {
      csv: data,
      target,
      ...(config['drop-missing'] === true && {dropMissing: true}),
      ...(typeof config['split-by'] === 'string' && {splitBy: config['split-by']}),
    }
  if (data !== undefined) {
    if (isObject(dataset.text)) return {textFolder: data}
    if (!isImagePreprocessing(dataset.imagePreprocessing))
      throw damaged(`does not record how the images of ${data} were preprocessed`)
    return {
      folder: data,
      imagePreprocessing: dataset.imagePreprocessing,
      ...(typeof config['test-split'] === 'number' && {testFraction: config['test-split']}),
    }
  }
  return {dataset: stringOrUndefined(config.dataset) ?? datasetName}
}

/** Reads a run that has finished: its config.json and its model/. */
export function readFinishedRun(dir: string): Run & {model: RunModel} {
  configPath(dir)
  const modelDir = join(dir, RUN_FILES.model)
  if (!existsSync(join(modelDir, MODEL_JSON)))
    throw new UserError(
      `${dir} has no ${RUN_FILES.model}/ yet: the run did not finish; finish it with mlctl train --resume ${dir}`,
    )
  return {...readRun(dir), model: readRunModel(modelDir)}
}

/** The path of config.json, which makes a directory a run. */
function configPath(dir: string): string {
  const path = join(dir, RUN_FILES.config)
  if (!existsSync(path))
    throw new UserError(
      `${dir} is not a training run (no ${RUN_FILES.config}); pass a run directory written by mlctl train`,
    )
  return path
}

/** Reads a run's model/ folder, which may also have been copied away from its run. */
export function readRunModel(dir: string): RunModel {
  const {spec, weights, metadata} = readLayersModelDir(dir)
  const invalid = (key: string) =>
    new UserError(`${join(dir, MODEL_JSON)} records an invalid ${key}; the model folder is damaged`)
  const checked = <T>(key: keyof RunModelMetadata, valid: (value: unknown) => value is T): T | undefined => {
    const value = metadata[key]
    if (value === undefined) return undefined
    if (!valid(value)) throw invalid(key)
    return value
  }
  return {
    dir,
    spec,
    weights,
    metadata: {
      dataset: checked('dataset', isString),
      task: checked('task', (value): value is Task => value === 'classification' || value === 'regression'),
      loss: checked('loss', (value): value is LossConfig => isObject(value) && typeof value.name === 'string'),
      classNames: checked('classNames', isStringList),
      featureNames: checked('featureNames', isStringList),
      targetName: checked('targetName', isString),
      columnEncodings: checked('columnEncodings', isColumnEncodingList),
      imagePreprocessing: checked('imagePreprocessing', isImagePreprocessing),
      text: checked(
        'text',
        (value): value is NonNullable<RunModelMetadata['text']> =>
          isObject(value) &&
          Number.isInteger(value.vocabSize) &&
          Number.isInteger(value.padId) &&
          isObject(value.tokenizer) &&
          (value.bigramBuckets === undefined || Number.isInteger(value.bigramBuckets)),
      ),
      bestEpoch: checked(
        'bestEpoch',
        // metric is not checked: a NaN metric is stored as null
        (value): value is {epoch: number; metric: number} => isObject(value) && typeof value.epoch === 'number',
      ),
    },
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isString(value: unknown): value is string {
  return typeof value === 'string'
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every(isString)
}

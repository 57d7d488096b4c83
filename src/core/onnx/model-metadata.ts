import {type ColumnEncoding, isColumnEncodingList} from '../data/table-columns.js'
import {type ImagePreprocessing, RESIZE_MODES} from '../images/image-preprocessing.js'
import type {InputNormalization} from './input-normalization.js'

/**
 * mlctl's metadata_props of an ONNX file: what a server or a user needs to feed it and read its output.
 * Every value is a string; the lists and objects are JSON. A file from another exporter may have none of them.
 */
export interface ModelMetadata {
  /** class_names: a JSON array, classification only */
  classNames?: string[]
  task?: 'classification' | 'regression'
  /** input_layout */
  inputLayout?: 'NCHW' | 'NC'
  /** input_normalization: JSON, what the input expects (see InputNormalization) */
  inputNormalization?: InputNormalization
  dataset?: string
  /** training_metrics: JSON, the record of the epoch the file holds */
  trainingMetrics?: Record<string, unknown>
  mlctlVersion?: string
  /** table_preprocessing: JSON, a table model's columns and the scaling fitted on its training rows */
  tablePreprocessing?: TablePreprocessing
  /**
   * How an image file becomes the input, for a model trained on an image folder: the keys image_size (JSON
   * [height, width]), channels ("1" or "3") and resize ("cover", "contain" or "fill"), always all three.
   */
  imagePreprocessing?: ImagePreprocessing
  /** text_input: JSON, a token model's inputs (input_ids and attention_mask, int64 [batch, sequence]) */
  textInput?: TextInput
  /** tokenizer: the Hugging Face tokenizer.json that makes a token model's ids from text */
  tokenizer?: string
}

/**
 * What a token model takes: ids below vocabSize, right-padded with padId, and an attention mask (1 on
 * tokens, 0 on padding). Any sequence length works; sequenceLength is the one it was trained with, the
 * longest the tokenizer's truncation keeps.
 */
export interface TextInput {
  padId: number
  vocabSize: number
  sequenceLength: number
  /**
   * A bag model trained with --ngrams 2: after a text's sequenceLength tokens come its hashed bigrams
   * (src/core/text/hashed-bigrams.ts), ids from vocabSize - bigramBuckets on.
   */
  bigramBuckets?: number
}

/**
 * What a table model was fitted with. `columns` is the order of the input's features. The feature
 * standardization is the one input_normalization describes (applied inside the graph when inGraph); the
 * target standardization is always inside the graph: the output is already in the target's units.
 */
export interface TablePreprocessing {
  columns: string[]
  /**
   * How each CSV column becomes the inputs named in `columns`: a client that starts from raw rows applies
   * these (number: the value, or `fill` plus a 1 in "COL missing" when absent; binary: 0/1 by `values`;
   * category: one-hot over `values` then "(unknown)"; with `index`, one input: 1 + the position in `values`, 0
   * for a value not listed).
   */
  columnEncodings?: ColumnEncoding[]
  target?: string
  /**
   * (x - mean) / std per input; with method robust (train --scale robust), mean and std are the training
   * rows' median and interquartile range.
   */
  featureStandardization?: {mean: number[]; std: number[]; inGraph: boolean; method?: 'robust'}
  targetStandardization?: {mean: number; std: number}
}

/** A metadata_props entry that is present but unusable; the caller decides whether that is fatal. */
export interface MetadataProblem {
  key: string
  /** e.g. 'metadata_props task is "clustering"; it must be classification or regression' */
  message: string
}

/** The props in the order they are written, so the same metadata always gives the same bytes. */
export function toMetadataProps(metadata: ModelMetadata): Record<string, string> {
  const props: Record<string, string> = {}
  const put = (key: string, value: string | undefined) => {
    if (value !== undefined) props[key] = value
  }
  const json = (value: unknown) => (value === undefined ? undefined : JSON.stringify(value))
  put('class_names', json(metadata.classNames))
  put('task', metadata.task)
  put('input_layout', metadata.inputLayout)
  put('input_normalization', json(metadata.inputNormalization))
  put('dataset', metadata.dataset)
  put('training_metrics', json(metadata.trainingMetrics))
  put('mlctl_version', metadata.mlctlVersion)
  put('table_preprocessing', json(metadata.tablePreprocessing))
  const image = metadata.imagePreprocessing
  if (image) {
    put('image_size', json([image.height, image.width]))
    put('channels', String(image.channels))
    put('resize', image.resize)
  }
  put('text_input', json(metadata.textInput))
  put('tokenizer', metadata.tokenizer)
  return props
}

/**
 * Reads mlctl's keys (others are ignored). A value that breaks its key's rule is left out and reported, so
 * every reader applies the same rules and only decides whether a problem stops it.
 */
export function fromMetadataProps(props: Record<string, string>): {
  metadata: ModelMetadata
  problems: MetadataProblem[]
} {
  const problems: MetadataProblem[] = []
  const checked = <T>(key: string, value: unknown, valid: (value: unknown) => value is T, rule: string) => {
    if (props[key] === undefined || valid(value)) return value as T | undefined
    problems.push({key, message: `metadata_props ${key} ${rule}`})
    return undefined
  }
  const metadata: ModelMetadata = {
    classNames: checked('class_names', parseJson(props.class_names), isStringList, 'is not a JSON array of strings'),
    task: checked('task', props.task, isTask, `is "${props.task}"; it must be classification or regression`),
    inputLayout: checked(
      'input_layout',
      props.input_layout,
      isLayout,
      `is "${props.input_layout}"; it must be NCHW or NC`,
    ),
    inputNormalization: checked(
      'input_normalization',
      parseJson(props.input_normalization),
      isInputNormalization,
      'needs inputType uint8 or float32, a number scale and non-empty number lists mean and std (std without 0)',
    ),
    dataset: props.dataset,
    trainingMetrics: checked('training_metrics', parseJson(props.training_metrics), isObject, 'is not a JSON object'),
    mlctlVersion: props.mlctl_version,
    tablePreprocessing: checked(
      'table_preprocessing',
      parseJson(props.table_preprocessing),
      isTablePreprocessing,
      'is not a JSON object with a string list columns',
    ),
    imagePreprocessing: readImagePreprocessing(props, problems),
    textInput: checked(
      'text_input',
      parseJson(props.text_input),
      isTextInput,
      'is not a JSON object with integers padId, vocabSize and sequenceLength',
    ),
    tokenizer: checked('tokenizer', props.tokenizer, isJsonObjectText, 'is not a JSON object (a tokenizer.json)'),
  }
  return {metadata, problems}
}

/** The three image keys, all or none: one missing or invalid is a problem and none of them is used. */
function readImagePreprocessing(
  props: Record<string, string>,
  problems: MetadataProblem[],
): ImagePreprocessing | undefined {
  const keys = ['image_size', 'channels', 'resize'] as const
  if (keys.every((key) => props[key] === undefined)) return undefined
  const size = parseJson(props.image_size)
  const channels = Number(props.channels)
  const resize = props.resize as ImagePreprocessing['resize']
  const before = problems.length
  const sizeValid =
    Array.isArray(size) && size.length === 2 && size.every((n) => Number.isInteger(n) && (n as number) >= 1)
  if (!sizeValid)
    problems.push({
      key: 'image_size',
      message: `metadata_props image_size is ${show(props.image_size)}; it must be a JSON [height, width] of positive integers`,
    })
  if (channels !== 1 && channels !== 3)
    problems.push({key: 'channels', message: `metadata_props channels is ${show(props.channels)}; it must be 1 or 3`})
  if (!RESIZE_MODES.includes(resize))
    problems.push({
      key: 'resize',
      message: `metadata_props resize is ${show(props.resize)}; it must be cover, contain or fill`,
    })
  if (problems.length > before) return undefined
  const [height, width] = size as [number, number]
  return {width, height, channels: channels as 1 | 3, resize}
}

function show(value: string | undefined): string {
  return value === undefined ? 'missing' : `"${value}"`
}

/** undefined for an absent key, and for text that is not JSON (which then fails its key's rule). */
function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

function isTask(value: unknown): value is ModelMetadata['task'] {
  return value === 'classification' || value === 'regression'
}

function isLayout(value: unknown): value is ModelMetadata['inputLayout'] {
  return value === 'NCHW' || value === 'NC'
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string')
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isTablePreprocessing(value: unknown): value is TablePreprocessing {
  return (
    isObject(value) &&
    isStringList(value.columns) &&
    (value.columnEncodings === undefined || isColumnEncodingList(value.columnEncodings))
  )
}

function isTextInput(value: unknown): value is TextInput {
  if (!isObject(value)) return false
  const {padId, vocabSize, sequenceLength} = value
  const whole = (v: unknown, min: number) => typeof v === 'number' && Number.isInteger(v) && v >= min
  return whole(padId, 0) && whole(vocabSize, 1) && whole(sequenceLength, 1) && (padId as number) < (vocabSize as number)
}

function isJsonObjectText(value: unknown): value is string {
  return typeof value === 'string' && isObject(parseJson(value))
}

function isInputNormalization(value: unknown): value is InputNormalization {
  if (!isObject(value)) return false
  const {inputType, scale, mean, std} = value
  const numbers = (v: unknown): v is number[] =>
    Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isFinite(x))
  return (
    (inputType === 'uint8' || inputType === 'float32') &&
    typeof scale === 'number' &&
    Number.isFinite(scale) &&
    numbers(mean) &&
    numbers(std) &&
    !std.includes(0)
  )
}

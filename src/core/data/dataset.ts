import type {ImagePreprocessing} from '../images/image-preprocessing.js'
import type {ImageFolderSummary} from './image-folder-summary.js'
import type {ColumnEncoding} from './table-columns.js'

/** The in-memory form of every dataset mlctl trains on, whatever file format it came from. */

export interface DataSplit {
  /**
   * Images: uint8 NCHW; tables: float32 rows; text: Int32Array of token ids, row-major [count, sequenceLength],
   * right-padded with Dataset.text.padId (the attention mask is id !== padId).
   */
  inputs: Uint8Array | Float32Array | Int32Array
  targets: Uint8Array | Float32Array
  count: number
}

/** Where the data came from and what was checked, for the `fetch-data` summary. */
export interface DatasetOrigin {
  /** local: read in place (--from); imported: the copy `fetch-data --from` keeps in the cache. */
  kind: 'embedded' | 'download' | 'local' | 'imported' | 'csv' | 'text-folder'
  /** Directory or file the data was read from. */
  location: string
  /** imported, right after fetch-data copied it: the --from directory. */
  copiedFrom?: string
  /** One line saying what was verified, e.g. "sha256 of 4 files matches the registry". */
  verified: string
}

export interface Dataset {
  name: string
  task: 'classification' | 'regression'
  /** Per example, no batch dim; images are CHW ([1,28,28], [3,32,32]); tables [features]. */
  inputShape: number[]
  /** Classification only; targets are indices into it. */
  classNames?: string[]
  /** Images: uint8 NCHW contiguous; tables: float32 row-major. */
  train: DataSplit
  test?: DataSplit
  featureNames?: string[]
  targetName?: string
  /** Table columns that are not features, and why (constant, id, --ignore). */
  ignoredColumns?: Array<{column: string; reason: string}>
  /** Tables: how each feature column becomes the inputs named in featureNames, fitted on the training rows. */
  columnEncodings?: ColumnEncoding[]
  /** Tables: each feature column's type and gaps, for the start of a run, e.g. "category, 4 values, 3 missing". */
  columnSummary?: Array<{column: string; details: string}>
  /** Tables read with --drop-missing: how many rows it left out. */
  droppedRows?: number
  /** Image folders: how each file became an input, which evaluate, export, predict and serve repeat. */
  imagePreprocessing?: ImagePreprocessing
  /** Image folders: what was decoded, cached, skipped and chosen, for the start of a run. */
  imageFolder?: ImageFolderSummary
  /**
   * Tables split by time (--split-by): the column, and its value in the first test row. The training split is
   * in time order, so that the validation hold-out is its latest rows (holdOut's `latest`).
   */
  timeSplit?: {column: string; testFrom?: string}
  origin?: DatasetOrigin
  /** Text: inputShape is [sequenceLength]; the tokenizer that made the token ids (attention mask: id !== padId). */
  text?: TextFacts
}

/** A dataset of token ids, whose text facts are always there. */
export type TextDataset = Dataset & {text: TextFacts}

export interface TextFacts {
  vocabSize: number
  padId: number
  /** A Hugging Face tokenizer.json (src/core/text/tokenizer-json.ts). */
  tokenizer: object
  /** Text column of a CSV (train --text-column), so evaluate reads the same column. */
  textColumn?: string
  /** Texts skipped: binary files in a text folder. */
  skippedFiles?: number
  /** How many texts were longer than the sequence length and lost their end. */
  truncated?: number
  /** train --ngrams 2: this many hashed-bigram ids follow the vocabulary, after each text's tokens. */
  bigramBuckets?: number
}

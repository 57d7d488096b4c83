import {
  type Dataset,
  type DataSplit,
  type DownloadEvent,
  loadCsvDataset,
  loadDataset,
  loadTextRegistryDataset,
  resolveDataDir,
} from '../data/index.js'
import {withHashedBigrams} from '../data/hashed-bigram-dataset.js'
import {loadImageFolder} from '../data/image-folder.js'
import {loadDataPath} from '../data/load-data-path.js'
import {findDataset} from '../data/registry.js'
import type {TokenizerJson} from '../text/tokenizer-json.js'
import {UserError} from '../errors.js'
import {subsetSplit} from '../data/select-examples.js'
import type {TrainedRun} from './trained-run.js'

/** Real examples from the run's dataset, raw as the dataset stores them (uint8 pixels NCHW, float32 rows). */
export interface VerificationSample extends DataSplit {
  split: 'test' | 'train'
}

export interface SampleSourceOptions {
  /** Read registry dataset files from this directory instead of the cache (as train --from). */
  from?: string
  dataDir?: string
  onDownload?: (event: DownloadEvent) => void
}

/** A text run's data tokenized as train did: with the run's tokenizer, truncated and padded to its length. */
async function loadTextSample(
  run: TrainedRun,
  text: NonNullable<TrainedRun['text']>,
  options: SampleSourceOptions,
): Promise<Dataset> {
  const tokenizing = {
    tokenizer: text.tokenizer as TokenizerJson,
    // with bigrams, the model's rows hold each text's tokens and then its bigrams
    maxLength: text.bigramBuckets ? (run.spec.inputShape[0] + 1) / 2 : run.spec.inputShape[0],
    allowEmptyText: true,
  }
  const location = {from: options.from, dataDir: options.dataDir, onDownload: options.onDownload}
  const dataset = text.data
    ? await loadDataPath(text.data, {target: text.target, textColumn: text.textColumn, text: tokenizing})
    : await loadTextRegistryDataset(findDataset(run.datasetName), {...location, text: tokenizing})
  return text.bigramBuckets ? withHashedBigrams(dataset, text.bigramBuckets) : dataset
}

/**
 * Up to `size` examples spread evenly over the test split (the train split when the dataset has no test
 * split), so that the sample is deterministic and covers the whole split rather than its first rows.
 */
export async function loadVerificationSample(
  run: TrainedRun,
  size: number,
  options: SampleSourceOptions = {},
): Promise<VerificationSample> {
  const dataset = run.text
    ? await loadTextSample(run, run.text, options)
    : 'csv' in run.data
      ? await loadCsvDataset(run.data.csv, run.data.target, {
          features: run.featureNames,
          encoding: run.columnEncodings,
          dropMissing: run.data.dropMissing === true,
          ...(run.data.splitBy !== undefined && {splitBy: run.data.splitBy}),
        })
      : 'folder' in run.data
        ? await loadImageFolder(run.data.folder, {
            preprocessing: run.data.imagePreprocessing,
            testFraction: run.data.testFraction,
            cacheDir: resolveDataDir(options.dataDir),
          })
        : await loadDataset('dataset' in run.data ? run.data.dataset : run.data.textFolder, {
            from: options.from,
            dataDir: options.dataDir,
            onDownload: options.onDownload,
          })
  if (dataset.inputShape.join('x') !== run.spec.inputShape.join('x')) {
    throw new UserError(
      `${dataset.name} has examples of shape [${dataset.inputShape}] but the model takes [${run.spec.inputShape}]; the run's data has changed since training`,
    )
  }
  const split = dataset.test && dataset.test.count > 0 ? 'test' : 'train'
  const source = split === 'test' ? dataset.test! : dataset.train
  const count = Math.min(size, source.count)
  const indices = Array.from({length: count}, (_, i) => Math.floor((i * source.count) / count))
  return {...subsetSplit(source, indices), split}
}

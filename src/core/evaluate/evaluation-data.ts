import {
  type Dataset,
  type DataSplit,
  type DownloadEvent,
  type ImageFolderProgress,
  loadDataPath,
  loadDataset,
  REGISTRY,
  resolveDataDir,
} from '../data/index.js'
import {DEFAULT_VALIDATION_FRACTION, holdOut} from '../data/validation-split.js'
import {UserError} from '../errors.js'
import {loadTextDataFor} from '../run/run-text-data.js'
import type {ModelFacts} from './model-source.js'

/** train: the examples the model was fitted on; val: train's validation hold-out; test: the dataset's test split. */
export const SPLITS = ['test', 'val', 'train'] as const
export type SplitName = (typeof SPLITS)[number]

export interface DataRequest {
  dataset?: string
  data?: string
  target?: string
  /** A text CSV's text column; default: the one the model was trained on. */
  textColumn?: string
  split: SplitName
  /** Default: the run's, else train's default. */
  valSplit?: number
  from?: string
  dataDir?: string
  onDownload?: (event: DownloadEvent) => void
  onImageProgress?: (event: ImageFolderProgress) => void
}

export interface EvaluationData {
  dataset: Dataset
  split: DataSplit
  /** e.g. "mnist-sample", "examples/cars.csv (target Miles_per_Gallon)" */
  source: string
}

/**
 * The split to evaluate on: from the flags, else the data the model was trained on. `val` and `train`
 * redo train's hold-out with the run's --val-split, so they are the very examples train used. The model's
 * facts say how its inputs are made: its table columns, image preprocessing or tokenizer.
 */
export async function loadEvaluationData(request: DataRequest, facts: ModelFacts): Promise<EvaluationData> {
  const {trainedOn, featureNames, columnEncodings, imagePreprocessing} = facts
  const explicit = request.dataset !== undefined || request.data !== undefined
  if (facts.text) {
    const source = explicit ? request : trainedOn
    const dataset = await loadTextDataFor(facts.text, facts.classNames, {
      ...source,
      textColumn: request.textColumn,
      from: request.from,
      dataDir: request.dataDir,
      onDownload: request.onDownload,
    })
    const valSplit = request.valSplit ?? trainedOn.valSplit ?? DEFAULT_VALIDATION_FRACTION
    const named = source.data ?? source.dataset ?? dataset.name
    return {dataset, split: pickSplit(dataset, request.split, valSplit), source: `${named} (text)`}
  }
  const csv = explicit ? request.data : trainedOn.data
  const target = explicit ? request.target : trainedOn.target
  const name = explicit ? request.dataset : trainedOn.dataset
  let dataset: Dataset
  let source: string
  if (csv !== undefined) {
    dataset = await loadDataPath(csv, {
      target,
      // The model's own columns, by name: the file may order them differently or have others.
      csv: {
        features: featureNames,
        encoding: columnEncodings,
        // The run's own file, read as train read it, so that its splits are the same rows.
        dropMissing: !explicit && trainedOn.dropMissing === true,
        ...(!explicit && trainedOn.splitBy !== undefined && {splitBy: trainedOn.splitBy}),
      },
      // The model's own preprocessing, and the run's test share of each class, so that test is train's test.
      images: {
        preprocessing: imagePreprocessing,
        testFraction: explicit ? undefined : trainedOn.testFraction,
        cacheDir: resolveDataDir(request.dataDir),
        onProgress: request.onImageProgress,
      },
    })
    source = dataset.imageFolder ? `${csv} (image folder)` : `${csv} (target ${target})`
  } else if (name !== undefined) {
    if (!explicit && !REGISTRY.some((entry) => entry.name === name)) {
      throw new UserError(
        `the model was trained on "${name}", which is not a registry dataset; pass --dataset NAME or --data FILE.csv --target COL`,
        2,
      )
    }
    dataset = await loadDataset(name, {from: request.from, dataDir: request.dataDir, onDownload: request.onDownload})
    source = name
  } else {
    throw new UserError(
      'the model does not say which data it was trained on; pass --dataset NAME or --data FILE.csv --target COL',
      2,
    )
  }
  return {
    dataset,
    split: pickSplit(dataset, request.split, request.valSplit ?? trainedOn.valSplit ?? DEFAULT_VALIDATION_FRACTION),
    source,
  }
}

function pickSplit(dataset: Dataset, split: SplitName, valSplit: number): DataSplit {
  if (split === 'test') {
    if (!dataset.test) throw new UserError(`${dataset.name} has no test split; use --split val or --split train`, 2)
    return dataset.test
  }
  const {fit, validation} = holdOut(dataset.train, valSplit, dataset.timeSplit !== undefined)
  if (split === 'train') return fit
  if (!validation)
    throw new UserError(
      `a validation split of ${valSplit} holds out no examples of ${dataset.name}; use --split test, or --val-split with the fraction train used`,
      2,
    )
  return validation
}

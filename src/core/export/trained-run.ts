import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import type {ColumnEncoding} from '../data/index.js'
import type {ImagePreprocessing} from '../images/image-preprocessing.js'

import {defaultMetric, type LossConfig, type MetricName} from '../training/index.js'
import {UserError} from '../errors.js'
import type {NamedTensor} from '../model/parameters.js'
import type {ModelSpec} from '../model/spec.js'
import {readFinishedRun} from '../run/read-run.js'
import {RUN_FILES} from '../run/run-dir.js'
import type {EpochRecord, Run, RunModelMetadata} from '../run/read-run.js'

/** What export needs from a finished training run directory. */
export interface TrainedRun {
  dir: string
  /** The run's model/ folder (TensorFlow.js layers format): the model the run hands on. */
  modelDir: string
  spec: ModelSpec
  /** Engine layout (NCHW / OIHW), read from model/. */
  weights: NamedTensor[]
  task: 'classification' | 'regression'
  classNames?: string[]
  loss: LossConfig
  datasetName: string
  /** A table's feature columns, in input order, and its target column. */
  featureNames?: string[]
  targetName?: string
  /** How each CSV column becomes the inputs named in featureNames. */
  columnEncodings?: ColumnEncoding[]
  /** How an image file becomes the input (a run trained on an image folder). */
  imagePreprocessing?: ImagePreprocessing
  /** train --scale robust: the spec's normalize holds medians and interquartile ranges. */
  robustScaling?: boolean
  /** Text: the tokenizer and the ids it makes, and where train read the texts (--data, --target, --text-column). */
  text?: RunModelMetadata['text'] & {data?: string; target?: string; textColumn?: string}
  /** Where train read its data, so that export can read real examples from the same place. */
  data: Run['data']
  /** The record of the epoch model/ holds (the best one). */
  trainingMetrics: TrainingMetrics
}

export type TrainingMetrics = {metric: MetricName; epoch?: number} & Partial<
  Pick<EpochRecord, 'trainLoss' | 'trainMetric' | 'valLoss' | 'valMetric'>
>

export function readTrainedRun(dir: string): TrainedRun {
  const run = readFinishedRun(dir)
  const {metadata} = run.model
  const task = metadata.task ?? run.task
  const loss = metadata.loss ?? {name: task === 'classification' ? 'softmaxCrossEntropy' : 'mse'}
  const classNames = metadata.classNames ?? run.classNames
  return {
    dir,
    modelDir: run.model.dir,
    spec: run.model.spec,
    weights: run.model.weights,
    task,
    ...(task === 'classification' && classNames && {classNames}),
    loss,
    datasetName: metadata.dataset ?? run.datasetName,
    ...(metadata.featureNames && {featureNames: metadata.featureNames}),
    ...(metadata.targetName && {targetName: metadata.targetName}),
    ...(metadata.columnEncodings && {columnEncodings: metadata.columnEncodings}),
    ...(metadata.imagePreprocessing && {imagePreprocessing: metadata.imagePreprocessing}),
    ...(run.config.scale === 'robust' && {robustScaling: true}),
    ...(metadata.text && {
      text: {
        ...metadata.text,
        ...(typeof run.config.data === 'string' && {data: run.config.data}),
        ...(typeof run.config.target === 'string' && {target: run.config.target}),
        ...(typeof run.config['text-column'] === 'string' && {textColumn: run.config['text-column']}),
      },
    }),
    data: run.data,
    trainingMetrics: bestEpochMetrics(dir, defaultMetric(loss), metadata.bestEpoch),
  }
}

/** The best epoch's line of metrics.jsonl; without that file, what model/ says about the best epoch. */
function bestEpochMetrics(
  dir: string,
  metric: MetricName,
  best: {epoch: number; metric: number} | undefined,
): TrainingMetrics {
  const path = join(dir, RUN_FILES.metrics)
  let records: EpochRecord[] = []
  try {
    if (existsSync(path))
      records = readFileSync(path, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as EpochRecord)
  } catch {
    throw new UserError(`${path} is not valid JSON lines; the run directory is damaged`)
  }
  const record = records.find((r) => r.epoch === best?.epoch) ?? (best ? undefined : records.at(-1))
  if (!record) return {metric, ...(best && {epoch: best.epoch, valMetric: best.metric})}
  const {epoch, trainLoss, trainMetric, valLoss, valMetric} = record
  return {metric, epoch, trainLoss, trainMetric, ...(valLoss !== undefined && {valLoss, valMetric})}
}

import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {defaultMetric, type LossConfig, type MetricName} from '../training/index.js'
import {UserError} from '../errors.js'
import type {NamedTensor} from '../model/parameters.js'
import type {ModelSpec} from '../model/spec.js'
import {MODEL_JSON, readLayersModelDir} from '../tfjs-format/layers-model-dir.js'
import {RUN_FILES} from '../train/run-dir.js'
import type {TrainConfig} from '../train/train-config.js'
import type {EpochRecord} from '../train/training-loop.js'

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
  /** Where train read its data, so that export can read real examples from the same place. */
  data: {dataset: string} | {csv: string; target: string}
  /** The record of the epoch model/ holds (the best one). */
  trainingMetrics: TrainingMetrics
}

export type TrainingMetrics = {metric: MetricName; epoch?: number} & Partial<
  Pick<EpochRecord, 'trainLoss' | 'trainMetric' | 'valLoss' | 'valMetric'>
>

interface RunRecord {
  config?: Partial<TrainConfig>
  dataset?: {name?: string; task?: string; classNames?: string[]}
}

export function readTrainedRun(dir: string): TrainedRun {
  const configPath = join(dir, RUN_FILES.config)
  if (!existsSync(configPath))
    throw new UserError(
      `${dir} is not a training run (no ${RUN_FILES.config}); pass a run directory written by mlctl train`,
    )
  const modelDir = join(dir, RUN_FILES.model)
  if (!existsSync(join(modelDir, MODEL_JSON))) {
    throw new UserError(
      `${dir} has no ${RUN_FILES.model}/ yet: the run did not finish; finish it with mlctl train --resume ${dir}`,
    )
  }
  let record: RunRecord
  try {
    record = JSON.parse(readFileSync(configPath, 'utf8'))
  } catch {
    throw new UserError(`${configPath} is not valid JSON; the run directory is damaged`)
  }
  const {spec, weights, metadata} = readLayersModelDir(modelDir)
  const task = metadata.task ?? record.dataset?.task
  if (task !== 'classification' && task !== 'regression')
    throw new UserError(`${dir}: the run records no task (classification or regression); the run directory is damaged`)
  const loss = (metadata.loss as LossConfig | undefined) ?? {
    name: task === 'classification' ? 'softmaxCrossEntropy' : 'mse',
  }
  const config = record.config ?? {}
  const datasetName = (metadata.dataset as string | undefined) ?? record.dataset?.name ?? config.dataset
  if (datasetName === undefined)
    throw new UserError(`${configPath} does not say which dataset the run was trained on; the run directory is damaged`)
  const data =
    config.data !== undefined && config.target !== undefined
      ? {csv: config.data, target: config.target}
      : {dataset: config.dataset ?? datasetName}
  const classNames = (metadata.classNames as string[] | undefined) ?? record.dataset?.classNames
  return {
    dir,
    modelDir,
    spec,
    weights,
    task,
    ...(task === 'classification' && classNames && {classNames}),
    loss,
    datasetName,
    data,
    trainingMetrics: bestEpochMetrics(
      dir,
      defaultMetric(loss),
      metadata.bestEpoch as {epoch: number; metric: number} | undefined,
    ),
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

/**
 * Test runs made in-process: a few Trainer steps on a slice of the real dataset, saved as `mlctl train`
 * saves a finished run (config.json, metrics.jsonl, model/), so export tests need no full training.
 */
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {type Dataset, loadCsvDataset, loadDataset} from '../../src/core/data/index.js'
import {Trainer} from '../../src/core/engine/index.js'
import type {LossConfig} from '../../src/core/training/index.js'
import {presetSpec, type PresetName} from '../../src/core/model/presets.js'
import type {ModelSpec} from '../../src/core/model/spec.js'
import {writeLayersModelDir} from '../../src/core/tfjs-format/layers-model-dir.js'
import {RUN_FILES} from '../../src/core/run/run-dir.js'

export interface TinyRunOptions {
  /** Default: the embedded mnist-sample. */
  csv?: {file: string; target: string}
  steps?: number
}

export async function makeTinyRun(
  dir: string,
  model: PresetName | ModelSpec,
  options: TinyRunOptions = {},
): Promise<{dir: string; spec: ModelSpec; dataset: Dataset}> {
  const dataset = options.csv
    ? await loadCsvDataset(options.csv.file, options.csv.target)
    : await loadDataset('mnist-sample')
  const classification = dataset.task === 'classification'
  const inputType = dataset.train.inputs instanceof Uint8Array ? 'uint8' : 'float32'
  const spec =
    typeof model === 'string'
      ? presetSpec(model, {
          inputShape: dataset.inputShape,
          outputs: classification ? dataset.classNames!.length : 1,
          inputType,
        })
      : model
  const loss: LossConfig = {name: classification ? 'softmaxCrossEntropy' : 'mse'}
  const trainer = await Trainer.create({spec, loss, optimizer: {name: 'adam', lr: 0.003}, seed: 7, threads: 1})
  const batch = 32
  const perExample = dataset.train.inputs.length / dataset.train.count
  const steps = Math.min(options.steps ?? 15, Math.floor(dataset.train.count / batch))
  let last = {loss: 0, metric: 0}
  try {
    for (let step = 0; step < steps; step++) {
      const x = dataset.train.inputs.subarray(step * batch * perExample, (step + 1) * batch * perExample)
      const y = dataset.train.targets.subarray(step * batch, (step + 1) * batch)
      last = await trainer.step(x, y, batch)
    }
    const weights = trainer.getWeights()
    mkdirSync(join(dir, RUN_FILES.checkpoints), {recursive: true})
    const config = options.csv
      ? {data: options.csv.file, target: options.csv.target, model: 'test'}
      : {dataset: dataset.name, model: 'test'}
    const datasetRecord = {
      name: dataset.name,
      task: dataset.task,
      inputShape: dataset.inputShape,
      classNames: dataset.classNames,
    }
    writeFileSync(
      join(dir, RUN_FILES.config),
      JSON.stringify({config, spec, dataset: datasetRecord, versions: {mlctl: 'test'}}),
    )
    const record = {
      epoch: 1,
      trainLoss: last.loss,
      trainMetric: last.metric,
      valLoss: last.loss,
      valMetric: last.metric,
      lr: 0.003,
      imagesPerSec: 1,
      seconds: 1,
    }
    writeFileSync(join(dir, RUN_FILES.metrics), `${JSON.stringify(record)}\n`)
    writeLayersModelDir(join(dir, RUN_FILES.model), spec, weights, 'mlctl test', {
      dataset: dataset.name,
      task: dataset.task,
      loss,
      ...(dataset.classNames && {classNames: dataset.classNames}),
      bestEpoch: {epoch: 1, metric: last.metric},
    })
    return {dir, spec, dataset}
  } finally {
    await trainer.release()
  }
}

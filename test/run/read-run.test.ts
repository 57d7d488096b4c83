import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {evaluateModel} from '../../src/core/evaluate/evaluate-model.js'
import {exportRun} from '../../src/core/export/export-run.js'
import {initialWeights, type ModelSpec, resolveModel} from '../../src/core/model/index.js'
import {readFinishedRun, readRun, type RunModelMetadata, type RunRecord} from '../../src/core/run/read-run.js'
import {RUN_FILES} from '../../src/core/run/run-dir.js'
import {writeLayersModelDir} from '../../src/core/tfjs-format/layers-model-dir.js'
import {trainRun} from '../../src/core/train/train-run.js'

const root = mkdtempSync(join(tmpdir(), 'mlctl-read-run-'))
afterAll(() => rmSync(root, {recursive: true, force: true}))

const SPEC: ModelSpec = {inputShape: [2], layers: [{type: 'dense', units: 3}]}
const RECORD: RunRecord = {
  config: {dataset: 'animals', model: 'test', epochs: 2, 'val-split': 0.2},
  spec: SPEC,
  dataset: {name: 'animals', task: 'classification', inputShape: [2], classNames: ['cat', 'dog', 'fox']},
  versions: {mlctl: 'test', node: process.version, onnxruntime: 'test'},
}
const METADATA: RunModelMetadata = {
  dataset: 'animals',
  task: 'classification',
  loss: {name: 'softmaxCrossEntropy'},
  classNames: ['cat', 'dog', 'fox'],
  bestEpoch: {epoch: 2, metric: 0.5},
}

/** A run as train leaves it; `configJson` replaces config.json's text, `metadata` model/'s metadata. */
function writeRun(
  name: string,
  {configJson, metadata = METADATA, finished = true}: {configJson?: string; metadata?: object; finished?: boolean} = {},
): string {
  const dir = join(root, name)
  mkdirSync(join(dir, RUN_FILES.checkpoints), {recursive: true})
  writeFileSync(join(dir, RUN_FILES.config), configJson ?? JSON.stringify(RECORD))
  if (finished)
    writeLayersModelDir(
      join(dir, RUN_FILES.model),
      SPEC,
      initialWeights(resolveModel(SPEC), 1),
      'mlctl test',
      metadata as Record<string, unknown>,
    )
  return dir
}

const withConfig = (config: object) => JSON.stringify({...RECORD, config})

describe('readRun', () => {
  it('reads what train recorded: settings, data, task, classes and the finished model', () => {
    const dir = writeRun('good')
    const run = readFinishedRun(dir)
    expect(run).toMatchObject({
      dir,
      config: RECORD.config,
      datasetName: 'animals',
      data: {dataset: 'animals'},
      valSplit: 0.2,
      task: 'classification',
      classNames: ['cat', 'dog', 'fox'],
    })
    expect(run.model).toMatchObject({dir: join(dir, RUN_FILES.model), spec: SPEC, metadata: METADATA})
    expect(run.model.weights.map((w) => w.name)).toEqual(['dense_1/kernel', 'dense_1/bias'])

    const csv = readRun(writeRun('csv', {configJson: withConfig({data: 'animals.csv', target: 'animal'})}))
    expect(csv.data).toEqual({csv: 'animals.csv', target: 'animal'})
    expect(csv.valSplit).toBeUndefined()
  })

  it('reads an image-folder run: the folder, its preprocessing and test split; without the preprocessing it is damaged', () => {
    const imagePreprocessing = {width: 32, height: 24, channels: 3, resize: 'contain'}
    const folderRecord = (dataset: object) =>
      JSON.stringify({
        ...RECORD,
        config: {data: 'photos', 'test-split': 0.25, model: 'test'},
        dataset: {...RECORD.dataset, name: 'photos', ...dataset},
      })
    const run = readRun(writeRun('folder', {configJson: folderRecord({imagePreprocessing})}))
    expect(run.data).toEqual({folder: 'photos', imagePreprocessing, testFraction: 0.25})
    const damaged = writeRun('folder-damaged', {configJson: folderRecord({})})
    expect(() => readRun(damaged)).toThrow(
      `${join(damaged, 'config.json')} does not record how the images of photos were preprocessed; the run directory is damaged`,
    )
  })

  it('gives one message for each kind of damage', () => {
    const damaged = (name: string, why: string) =>
      new RegExp(`^${join(root, name, 'config.json')} ${why}; the run directory is damaged$`)
    const cases: Array<[string, () => unknown, RegExp]> = [
      [
        'not a run',
        () => readRun(join(root, 'nowhere')),
        /^\S+nowhere is not a training run \(no config\.json\); pass a run directory written by mlctl train$/,
      ],
      [
        'invalid JSON',
        () => readRun(writeRun('bad-json', {configJson: '{"config": {'})),
        damaged('bad-json', 'is not valid JSON'),
      ],
      [
        'no settings',
        () => readRun(writeRun('no-settings', {configJson: '{"dataset": {}}'})),
        damaged('no-settings', "does not record train's settings"),
      ],
      [
        'no dataset',
        () =>
          readRun(writeRun('no-dataset', {configJson: JSON.stringify({config: {}, dataset: {task: 'regression'}})})),
        damaged('no-dataset', 'does not record which dataset the run was trained on'),
      ],
      [
        'no task',
        () => readRun(writeRun('no-task', {configJson: JSON.stringify({config: {dataset: 'animals'}})})),
        damaged('no-task', 'does not record the task \\(classification or regression\\)'),
      ],
      [
        'not finished',
        () => readFinishedRun(writeRun('unfinished', {finished: false})),
        /^\S+unfinished has no model\/ yet: the run did not finish; finish it with mlctl train --resume \S+unfinished$/,
      ],
      [
        'bad model metadata',
        () => readFinishedRun(writeRun('bad-metadata', {metadata: {...METADATA, classNames: 'cat,dog,fox'}})),
        /model\/model\.json records an invalid classNames; the model folder is damaged$/,
      ],
    ]
    for (const [kind, read, message] of cases) expect(read, kind).toThrow(message)
  })

  it('says when config.json cannot be read', () => {
    const dir = join(root, 'unreadable')
    mkdirSync(join(dir, RUN_FILES.config), {recursive: true})
    expect(() => readRun(dir)).toThrow(/config\.json cannot be read \(EISDIR\); the run directory is damaged$/)
  })

  it('resume, evaluate and export report a damaged run the same way', async () => {
    const dir = writeRun('shared', {configJson: '{"config": '})
    const message = `${join(dir, 'config.json')} is not valid JSON; the run directory is damaged`
    const failure = (promise: Promise<unknown>) =>
      promise.then(
        () => 'no error',
        (error: Error) => error.message,
      )
    expect(await failure(trainRun({flags: {}, resume: dir, mlctlVersion: 'test', shouldStop: () => false}))).toBe(
      message,
    )
    expect(await failure(exportRun({runDir: dir, mlctlVersion: 'test'}))).toBe(message)
    expect(
      await failure(evaluateModel({model: dir, split: 'test', batchSize: 64, topK: 5, threads: 1, gates: {}})),
    ).toBe(message)
  })
})

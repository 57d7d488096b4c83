/**
 * Turns the MODEL argument (a run directory or an .onnx file) into an onnxruntime session plus what the
 * model says about itself. A run's model/ goes through the engine's inference model, the graph export
 * writes, so a run and its exported ONNX file are scored by the same path and give the same numbers.
 */
import type {ColumnEncoding} from '../data/index.js'
import {existsSync, statSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

import {buildInferenceModel} from '../engine/index.js'
import type {ImagePreprocessing} from '../images/image-preprocessing.js'
import type {LossConfig} from '../training/index.js'
import {OrtSession} from '../engine/ort-session.js'
import {UserError} from '../errors.js'
import type {Standardization} from '../model/standardization.js'
import type {InputNormalization} from '../onnx/input-normalization.js'
import {readOnnxMetadataProps} from '../onnx/metadata-props.js'
import {unsupportedOpset} from '../onnx/opset-support.js'
import {fromMetadataProps} from '../onnx/model-metadata.js'
import {textModelInputOf} from '../text/model-token-ids.js'
import {readRun, readRunModel, type Run, type RunText} from '../run/read-run.js'
import {removeStaleRunTempFiles, RUN_FILES} from '../run/run-dir.js'
import {MODEL_JSON} from '../tfjs-format/layers-model-dir.js'

export interface ModelFacts {
  task?: 'classification' | 'regression'
  classNames?: string[]
  featureNames?: string[]
  /** How each CSV column becomes the inputs named in featureNames. */
  columnEncodings?: ColumnEncoding[]
  /** A table model's target column, which rows to predict may still carry. */
  targetName?: string
  loss?: LossConfig
  /**
   * What the model's input expects of the stored values: an ONNX file's `input_normalization`; for a run,
   * none (its graph scales inside). Absent when the model does not say.
   */
  inputNormalization?: Standardization
  /** What the model was trained on: the data evaluate uses unless told otherwise. */
  trainedOn: {
    dataset?: string
    data?: string
    target?: string
    dropMissing?: boolean
    splitBy?: string
    valSplit?: number
    /** An image folder's --test-split. */
    testFraction?: number
  }
  /** How an image file becomes the model's input: a run's or an ONNX file's record of it. */
  imagePreprocessing?: ImagePreprocessing
  /** Text models: texts are tokenized with the model's own tokenizer, to its sequence length. */
  text?: RunText
}

export interface EvaluationModel {
  kind: 'run' | 'onnx'
  path: string
  session: OrtSession
  facts: ModelFacts
}

export async function openEvaluationModel(path: string, threads: number): Promise<EvaluationModel> {
  if (!existsSync(path))
    throw new UserError(`${path} not found; pass a run directory written by mlctl train or an .onnx file`)
  return statSync(path).isDirectory() ? openRunDir(path, threads) : openOnnxFile(path, threads)
}

async function openRunDir(path: string, threads: number): Promise<EvaluationModel> {
  // Accept the run directory or its model/ folder.
  const modelDir = existsSync(join(path, MODEL_JSON)) ? path : join(path, RUN_FILES.model)
  if (!existsSync(join(modelDir, MODEL_JSON))) {
    throw new UserError(
      `${path} holds no ${RUN_FILES.model}/${MODEL_JSON}; pass a finished run directory of mlctl train (an interrupted run has no model yet) or an .onnx file`,
    )
  }
  const runDir = modelDir === path ? dirname(path) : path
  const model = readRunModel(modelDir)
  const run = existsSync(join(runDir, RUN_FILES.config)) ? readRun(runDir) : undefined
  if (run) removeStaleRunTempFiles(run.dir)
  const session = await OrtSession.create(
    buildInferenceModel(model.spec, model.weights, {probabilities: 'none'}),
    threads,
  )
  const {metadata} = model
  return {
    kind: 'run',
    path,
    session,
    facts: {
      task: metadata.task,
      classNames: metadata.classNames,
      featureNames: metadata.featureNames,
      columnEncodings: metadata.columnEncodings,
      targetName: metadata.targetName,
      loss: metadata.loss,
      inputNormalization: {scale: 1, mean: [0], std: [1]},
      trainedOn: trainedOn(run, metadata.dataset),
      imagePreprocessing:
        metadata.imagePreprocessing ?? (run && 'folder' in run.data ? run.data.imagePreprocessing : undefined),
      ...(run?.text && {text: run.text}),
    },
  }
}

/** The run's config.json says where train read its data; a model/ folder copied on its own names its dataset. */
function trainedOn(run: Run | undefined, datasetOfModel: string | undefined): ModelFacts['trainedOn'] {
  if (!run) return {dataset: datasetOfModel}
  const data =
    'csv' in run.data
      ? {data: run.data.csv, target: run.data.target, dropMissing: run.data.dropMissing, splitBy: run.data.splitBy}
      : 'folder' in run.data
        ? {data: run.data.folder, testFraction: run.data.testFraction}
        : 'textFolder' in run.data
          ? {data: run.data.textFolder}
          : {dataset: run.data.dataset}
  return {...data, valSplit: run.valSplit}
}

async function openOnnxFile(path: string, threads: number): Promise<EvaluationModel> {
  const bytes = await readFile(path)
  let session: OrtSession
  try {
    session = await OrtSession.create(bytes, threads)
  } catch (error) {
    const tooOld = unsupportedOpset(bytes)
    if (tooOld) throw new UserError(`cannot evaluate ${basename(path)}: ${tooOld}`)
    const reason = (error as Error).message.split('\n')[0]
    throw new UserError(
      `cannot load ${basename(path)} as an ONNX model (${reason}); pass an .onnx file or a run directory`,
    )
  }
  try {
    const props = await readOnnxMetadataProps(path)
    return {kind: 'onnx', path, session, facts: factsFromMetadata(props, path)}
  } catch (error) {
    await session.release()
    throw error
  }
}

/** A problem with mlctl's metadata is fatal here: evaluate would otherwise score the model on wrong assumptions. */
function factsFromMetadata(props: Record<string, string>, path: string): ModelFacts {
  const {metadata, problems} = fromMetadataProps(props)
  if (problems.length > 0)
    throw new UserError(`${path}: ${problems[0].message}; re-export the model or remove that entry`)
  const text = textModelInputOf(metadata, path)
  return {
    task: metadata.task,
    classNames: metadata.classNames,
    featureNames: metadata.tablePreprocessing?.columns,
    columnEncodings: metadata.tablePreprocessing?.columnEncodings,
    targetName: metadata.tablePreprocessing?.target,
    inputNormalization: standardization(metadata.inputNormalization),
    trainedOn: {dataset: metadata.dataset},
    imagePreprocessing: metadata.imagePreprocessing,
    ...(text && {text}),
  }
}

function standardization(normalization: InputNormalization | undefined): Standardization | undefined {
  if (!normalization) return undefined
  const {scale, mean, std} = normalization
  return {scale, mean, std}
}

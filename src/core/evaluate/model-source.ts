/**
 * Turns the MODEL argument (a run directory or an .onnx file) into an onnxruntime session plus what the
 * model says about itself. A run's model/ goes through the engine's inference model, the graph export
 * writes, so a run and its exported ONNX file are scored by the same path and give the same numbers.
 */
import {existsSync, readFileSync, statSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

import {buildInferenceModel} from '../engine/index.js'
import type {LossConfig} from '../training/index.js'
import {OrtSession} from '../engine/ort-session.js'
import {UserError} from '../errors.js'
import type {Standardization} from '../model/standardization.js'
import {readOnnxMetadataProps} from '../onnx/metadata-props.js'
import {MODEL_JSON, readLayersModelDir} from '../tfjs-format/layers-model-dir.js'
import {RUN_FILES} from '../train/run-dir.js'
import type {TrainConfig} from '../train/train-config.js'

export interface ModelFacts {
  task?: 'classification' | 'regression'
  classNames?: string[]
  featureNames?: string[]
  loss?: LossConfig
  /** From ONNX metadata `input_normalization`; absent for graphs that take the raw values. */
  inputNormalization?: Standardization
  /** What the model was trained on: the data evaluate uses unless told otherwise. */
  trainedOn: {dataset?: string; data?: string; target?: string; valSplit?: number}
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
  const {spec, weights, metadata} = readLayersModelDir(modelDir)
  const config = readRunConfig(join(runDir, RUN_FILES.config))
  const session = await OrtSession.create(buildInferenceModel(spec, weights, {probabilities: 'none'}), threads)
  const stringList = (value: unknown) =>
    Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined
  return {
    kind: 'run',
    path,
    session,
    facts: {
      task: metadata.task === 'classification' || metadata.task === 'regression' ? metadata.task : undefined,
      classNames: stringList(metadata.classNames),
      featureNames: stringList(metadata.featureNames),
      loss: metadata.loss as LossConfig | undefined,
      trainedOn: {
        dataset: config?.data
          ? undefined
          : (config?.dataset ?? (typeof metadata.dataset === 'string' ? metadata.dataset : undefined)),
        data: config?.data,
        target: config?.target,
        valSplit: config?.['val-split'],
      },
    },
  }
}

/** config.json of the run, if there is one: a model/ folder copied on its own still evaluates. */
function readRunConfig(path: string): Partial<TrainConfig> | undefined {
  if (!existsSync(path)) return undefined
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as {config?: Partial<TrainConfig>}).config
  } catch {
    throw new UserError(
      `${path} is not valid JSON; the run directory is damaged (pass --dataset or --data to evaluate its model/ anyway, after moving the file aside)`,
    )
  }
}

async function openOnnxFile(path: string, threads: number): Promise<EvaluationModel> {
  let session: OrtSession
  try {
    session = await OrtSession.create(await readFile(path), threads)
  } catch (error) {
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

/** mlctl's metadata_props keys; a file from another exporter may have none of them. */
function factsFromMetadata(props: Record<string, string>, path: string): ModelFacts {
  const json = (key: string): unknown => {
    if (props[key] === undefined) return undefined
    try {
      return JSON.parse(props[key])
    } catch {
      throw new UserError(`${path}: metadata_props ${key} is not valid JSON; re-export the model or remove that entry`)
    }
  }
  const classNames = json('class_names')
  if (
    classNames !== undefined &&
    !(Array.isArray(classNames) && classNames.every((name) => typeof name === 'string'))
  ) {
    throw new UserError(
      `${path}: metadata_props class_names is not a JSON array of strings; re-export the model or remove that entry`,
    )
  }
  const task = props.task
  if (task !== undefined && task !== 'classification' && task !== 'regression') {
    throw new UserError(`${path}: metadata_props task is "${task}"; it must be classification or regression`)
  }
  return {
    task,
    classNames: classNames as string[] | undefined,
    inputNormalization: parseNormalization(json('input_normalization'), path),
    trainedOn: {dataset: props.dataset},
  }
}

/** undefined when absent or when it changes nothing (the graph takes the raw values). */
function parseNormalization(value: unknown, path: string): Standardization | undefined {
  if (value === undefined) return undefined
  const {scale = 1, mean = [0], std = [1]} = value as {scale?: unknown; mean?: unknown; std?: unknown}
  const numbers = (v: unknown) =>
    Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isFinite(x))
  if (typeof scale !== 'number' || !numbers(mean) || !numbers(std) || (std as number[]).includes(0)) {
    throw new UserError(
      `${path}: metadata_props input_normalization needs a number scale and non-empty number lists mean and std (std without 0)`,
    )
  }
  const normalization = {scale, mean: mean as number[], std: std as number[]}
  const identity = scale === 1 && normalization.mean.every((m) => m === 0) && normalization.std.every((d) => d === 1)
  return identity ? undefined : normalization
}

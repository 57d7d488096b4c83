import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {buildInferenceModel, type InferenceModelOptions} from '../../src/core/engine/index.js'
import {initialWeights, type ModelSpec, type NamedTensor, resolveModel} from '../../src/core/model/index.js'
import {writeLayersModelDir} from '../../src/core/tfjs-format/layers-model-dir.js'

/** A small uint8 MLP for 28x28 images, weights from the seeded initializer: untrained but deterministic. */
export const IMAGE_SPEC: ModelSpec = {
  inputShape: [1, 28, 28],
  inputType: 'uint8',
  layers: [{type: 'flatten'}, {type: 'dense', units: 16}, {type: 'relu'}, {type: 'dense', units: 10}],
}

export const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']

export function seededWeights(spec: ModelSpec, seed = 3): NamedTensor[] {
  return initialWeights(resolveModel(spec), seed)
}

/** A run directory as mlctl train leaves it, minus what evaluate does not read (checkpoints, metrics). */
export function writeRunDir(
  dir: string,
  spec: ModelSpec,
  weights: NamedTensor[],
  metadata: Record<string, unknown>,
  config: Record<string, unknown>,
): string {
  mkdirSync(dir, {recursive: true})
  writeLayersModelDir(join(dir, 'model'), spec, weights, 'mlctl test', metadata)
  const dataset = {name: metadata.dataset, task: metadata.task ?? 'classification'}
  writeFileSync(join(dir, 'config.json'), JSON.stringify({config, spec, dataset}))
  return dir
}

/** The ONNX file export writes for these weights (logits and probabilities, mlctl's metadata_props). */
export function writeOnnxFile(
  path: string,
  spec: ModelSpec,
  weights: NamedTensor[],
  metadata: Record<string, string>,
  options: InferenceModelOptions = {},
): string {
  writeFileSync(path, buildInferenceModel(spec, weights, {probabilities: 'softmax', metadata, ...options}))
  return path
}

/** A CSV of two features and a text label; the rows are spread so that a linear model gets some right, some wrong. */
export function writeAnimalsCsv(path: string, names = ['cat', 'dog', 'fox'], rows = 60): string {
  const lines = ['x1,x2,animal']
  for (let i = 0; i < rows; i++) {
    const x1 = ((i * 7) % 11) - 5
    const x2 = ((i * 5) % 13) - 6
    lines.push(`${x1},${x2},${names[i % names.length]}`)
  }
  writeFileSync(path, `${lines.join('\n')}\n`)
  return path
}

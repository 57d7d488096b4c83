import {existsSync, mkdirSync, readFileSync, renameSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {UserError} from '../errors.js'
import {writeFileAtomic} from '../io/atomic-write.js'
import {tempPathBeside} from '../io/temp-files.js'
import type {NamedTensor} from '../model/parameters.js'
import type {ModelSpec} from '../model/spec.js'
import {fromLayersModel, type LayersModelJson, toLayersModel, WEIGHTS_FILE} from './layers-model.js'

export const MODEL_JSON = 'model.json'

/** Writes model.json + weights into `dir`, replacing what was there only once the new folder is complete. */
export function writeLayersModelDir(
  dir: string,
  spec: ModelSpec,
  weights: NamedTensor[],
  generatedBy: string,
  metadata: Record<string, unknown> = {},
): void {
  const {modelJson, weightData} = toLayersModel(spec, weights, generatedBy, metadata)
  const staging = tempPathBeside(dir)
  rmSync(staging, {recursive: true, force: true})
  mkdirSync(staging, {recursive: true})
  writeFileAtomic(join(staging, WEIGHTS_FILE), weightData)
  writeFileAtomic(join(staging, MODEL_JSON), JSON.stringify(modelJson, null, 1))
  const old = tempPathBeside(dir, 'old')
  if (existsSync(dir)) renameSync(dir, old)
  renameSync(staging, dir)
  rmSync(old, {recursive: true, force: true})
}

export function readLayersModelDir(dir: string): {
  spec: ModelSpec
  weights: NamedTensor[]
  metadata: Record<string, unknown>
} {
  const jsonPath = join(dir, MODEL_JSON)
  let modelJson: LayersModelJson
  try {
    modelJson = JSON.parse(readFileSync(jsonPath, 'utf8')) as LayersModelJson
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : 'is not valid JSON'
    throw new UserError(`${jsonPath} ${why}; point at a run directory or its model/ folder written by mlctl train`)
  }
  const paths = modelJson.weightsManifest?.flatMap((g) => g.paths) ?? []
  const chunks = paths.map((p) => {
    try {
      return readFileSync(join(dir, p))
    } catch {
      throw new UserError(`${join(dir, p)} is missing; the model folder is incomplete`)
    }
  })
  return fromLayersModel(modelJson, Buffer.concat(chunks), jsonPath)
}

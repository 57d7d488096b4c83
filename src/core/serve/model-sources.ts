/**
 * Turns the command line's model arguments (MODEL.onnx or RUN_DIR, --name, --model NAME=PATH) into
 * named ONNX files. A run directory is served through the ONNX file `mlctl export-onnx` left in it.
 */
import {existsSync, readdirSync, statSync} from 'node:fs'
import {basename, join} from 'node:path'

import {UserError} from '../errors.js'
import {RUN_ONNX_FILE} from '../run/run-dir.js'

export interface ModelSource {
  name: string
  path: string
}

// Model names appear in URL paths and metric labels.
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

/** `withRepository`: models also come from --model-repository, so the command line may name none. */
export function resolveModelSources(
  positional: string | undefined,
  name: string | undefined,
  namedPaths: string[],
  withRepository = false,
): ModelSource[] {
  const sources: ModelSource[] = []
  if (positional !== undefined) {
    const path = resolveOnnxPath(positional)
    sources.push({name: checkName(name ?? defaultName(positional)), path})
  } else if (name !== undefined) {
    throw new UserError('--name names the MODEL argument; give a model path too, or use --model NAME=PATH', 2)
  }
  for (const pair of namedPaths) {
    const separator = pair.indexOf('=')
    if (separator <= 0)
      throw new UserError(`--model ${pair} is not NAME=PATH; write e.g. --model digits=runs/lenet/model.onnx`, 2)
    sources.push({name: checkName(pair.slice(0, separator)), path: resolveOnnxPath(pair.slice(separator + 1))})
  }
  if (sources.length === 0 && !withRepository)
    throw new UserError(
      'no model to serve; pass MODEL.onnx or a run directory, --model NAME=PATH, or --model-repository DIR',
      2,
    )
  return sources
}

function resolveOnnxPath(path: string): string {
  if (!existsSync(path)) throw new UserError(`${path} not found; pass an .onnx file or a run directory`)
  if (!statSync(path).isDirectory()) return path
  if (existsSync(join(path, RUN_ONNX_FILE))) return join(path, RUN_ONNX_FILE)
  const onnxFiles = readdirSync(path).filter((file) => file.endsWith('.onnx'))
  if (onnxFiles.length === 1) return join(path, onnxFiles[0])
  if (onnxFiles.length === 0) throw new UserError(`no .onnx file in ${path}; run \`mlctl export-onnx ${path}\` first`)
  throw new UserError(`${path} holds several .onnx files (${onnxFiles.join(', ')}); pass the one to serve`)
}

function defaultName(path: string): string {
  return basename(path.replace(/\/+$/, ''))
    .replace(/\.onnx$/i, '')
    .replace(/[^A-Za-z0-9._-]/g, '-')
}

export function isModelName(name: string): boolean {
  return NAME.test(name)
}

function checkName(name: string): string {
  if (!isModelName(name))
    throw new UserError(`model name "${name}" is not usable in URLs; use letters, digits, ".", "_" and "-"`, 2)
  return name
}

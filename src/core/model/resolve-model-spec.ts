import {readFile} from 'node:fs/promises'
import {UserError} from '../errors.js'
import {categoryEmbeddingDim, isPresetName, PRESET_NAMES, presetSpec} from './presets.js'
import {categoryColumns, resolveModel} from './resolve-model.js'
import type {CategoryEmbeddingSpec, InputType, ModelSpec} from './spec.js'

/** What the dataset says the model must accept and produce. */
export interface DatasetShape {
  inputShape: number[]
  /** Number of classes, or of regression targets. */
  outputs: number
  inputType?: InputType
  /** Rows the model is fitted on (the mlp preset widens for large tables). */
  trainingRows?: number
  /** Token inputs: ids per example run over [0, vocabSize); padId pads the sequences. */
  vocabSize?: number
  padId?: number
  /** Tables: inputs holding a category's index, which the model must embed (categoryEmbedding layers). */
  categoryColumns?: Array<{column: number; categories: number}>
}

/**
 * A preset name (PRESET_NAMES; 'bag' and 'textcnn' for text) or the path of a JSON spec file, checked
 * against the dataset.
 * A spec file may leave out inputShape and inputType (the dataset's are used); when it has them they
 * must match. Throws UserError.
 */
export async function resolveModelSpec(presetNameOrSpecFile: string, dataset: DatasetShape): Promise<ModelSpec> {
  if (isPresetName(presetNameOrSpecFile)) {
    const spec = presetSpec(presetNameOrSpecFile, dataset)
    resolveModel(spec)
    return spec
  }
  const file = presetNameOrSpecFile
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    throw new UserError(`'${file}' is neither a preset (${PRESET_NAMES.join(', ')}) nor a readable spec file`)
  }
  let parsed: Partial<ModelSpec>
  try {
    parsed = JSON.parse(text) as Partial<ModelSpec>
  } catch (err) {
    throw new UserError(`spec file ${file} is not valid JSON: ${(err as Error).message}`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UserError(`spec file ${file} must hold a JSON object with a "layers" list`)
  }
  const inputShape = parsed.inputShape ?? dataset.inputShape
  if (JSON.stringify(inputShape) !== JSON.stringify(dataset.inputShape)) {
    throw new UserError(
      `spec file ${file} has inputShape [${inputShape}] but the dataset's inputs are [${dataset.inputShape}]; fix or remove inputShape`,
    )
  }
  const inputType = parsed.inputType ?? dataset.inputType
  if (parsed.inputType !== undefined && dataset.inputType !== undefined && parsed.inputType !== dataset.inputType) {
    throw new UserError(
      `spec file ${file} has inputType ${parsed.inputType} but the dataset's inputs are ${dataset.inputType}; fix or remove inputType`,
    )
  }
  const spec: ModelSpec = {
    ...parsed,
    inputShape,
    ...(inputType ? {inputType} : {}),
    ...(inputType === 'int32' && parsed.padId === undefined && dataset.padId ? {padId: dataset.padId} : {}),
    layers: parsed.layers as ModelSpec['layers'],
  }
  const model = resolveModel(spec)
  const vocab = model.inputType === 'int32' ? model.parameters[0].shape[0] : undefined
  if (vocab !== undefined && dataset.vocabSize !== undefined && vocab < dataset.vocabSize) {
    throw new UserError(
      `spec file ${file} has an embedding of ${vocab} ids but the tokenizer makes ${dataset.vocabSize}; set its vocab to ${dataset.vocabSize}`,
    )
  }
  checkCategoryColumns(file, spec, dataset.categoryColumns ?? [])
  if (model.outputs !== dataset.outputs) {
    throw new UserError(
      `spec file ${file} ends with ${model.outputs} outputs but the dataset needs ${dataset.outputs}; change the last dense layer's units`,
    )
  }
  return spec
}

/**
 * A spec file on a table with embedded categories must embed exactly their index columns: fed to a dense layer
 * as numbers, the indices would order categories by name, which means nothing.
 */
function checkCategoryColumns(file: string, spec: ModelSpec, columns: Array<{column: number; categories: number}>) {
  const embedded = categoryColumns(spec)
  const missing = columns.find((c) => !embedded.includes(c.column))
  if (missing)
    throw new UserError(
      `spec file ${file} does not embed input ${missing.column}, a category's index; start its layers with {"type": "categoryEmbedding", "column": ${missing.column}, "categories": ${missing.categories}, "dim": ${categoryEmbeddingDim(missing.categories)}} (the last such column first)`,
    )
  const stray = embedded.find((c) => !columns.some((k) => k.column === c))
  if (stray !== undefined)
    throw new UserError(
      `spec file ${file} embeds input ${stray}, which is not a category's index; remove that categoryEmbedding`,
    )
  const small = columns.find((c) => {
    const layer = spec.layers[embedded.indexOf(c.column)] as CategoryEmbeddingSpec
    return layer.categories < c.categories
  })
  if (small)
    throw new UserError(
      `spec file ${file} embeds input ${small.column} with fewer than its ${small.categories} categories; set that layer's categories to ${small.categories}`,
    )
}

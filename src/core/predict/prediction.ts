import {UserError} from '../errors.js'

/**
 * One example's prediction from the model's output row: the class with the highest score, its probability
 * and the top k classes, or a regression model's values. Logits go through softmax (a binary model's single
 * logit through the sigmoid), so that every prediction carries probabilities whatever the model outputs.
 */

export interface ClassScore {
  label: string
  class: number
  probability: number
}

export type Prediction =
  | ({input: string} & ClassScore & {top: ClassScore[]})
  | {input: string; value: number; values?: number[]}
  | {input: string; error: string}

/** How to read a model's output rows. */
export interface OutputReading {
  task: 'classification' | 'regression'
  kind: 'logits' | 'probabilities' | 'values'
  /** Values per example: the classes, 1 for a binary classifier, or the regression targets. */
  width: number
  binary: boolean
  classNames?: string[]
}

/**
 * The predictions of one batch: `output` holds `rows` rows (a fixed-batch model pads past the inputs). A
 * model whose output does not divide into the rows it was given is a model predict cannot read.
 */
export function readPredictions(
  inputs: string[],
  output: Float32Array,
  rows: number,
  reading: Omit<OutputReading, 'width'> & {width?: number},
  topK: number,
): Prediction[] {
  const width = output.length / rows
  if (!Number.isInteger(width) || (reading.width !== undefined && width !== reading.width))
    throw new UserError(
      `the model output ${output.length} values for ${rows} examples; predict reads [batch, values] outputs`,
    )
  if (reading.task === 'classification' && reading.classNames && width !== reading.classNames.length && !reading.binary)
    throw new UserError(
      `the model outputs ${width} scores per example but names ${reading.classNames.length} classes; re-export it`,
    )
  const full = {...reading, width}
  return inputs.map((input, row) => readPrediction(input, output, row, full, topK))
}

export function readPrediction(
  input: string,
  output: Float32Array,
  row: number,
  reading: OutputReading,
  topK: number,
): Prediction {
  const values = output.subarray(row * reading.width, (row + 1) * reading.width)
  if (reading.task === 'regression')
    return reading.width === 1 ? {input, value: values[0]} : {input, value: values[0], values: Array.from(values)}
  const probabilities = classProbabilities(values, reading)
  const ranked = Array.from(probabilities, (probability, c) => ({
    label: reading.classNames?.[c] ?? String(c),
    class: c,
    probability,
  }))
  // Stable: on a tie the lower class index comes first, as evaluate's argmax picks it.
  ranked.sort((a, b) => b.probability - a.probability || a.class - b.class)
  return {input, ...ranked[0], top: ranked.slice(0, topK)}
}

/** A classifier's scores as probabilities: softmax of logits, a binary model's one score as [1 - p, p]. */
export function classProbabilities(
  values: Float32Array,
  reading: Pick<OutputReading, 'kind' | 'binary'>,
): Float64Array {
  if (reading.binary) {
    const p = reading.kind === 'logits' ? 1 / (1 + Math.exp(-values[0])) : values[0]
    return Float64Array.of(1 - p, p)
  }
  const probabilities = Float64Array.from(values)
  if (reading.kind === 'probabilities') return probabilities
  let max = -Infinity
  for (const z of probabilities) max = Math.max(max, z)
  let sum = 0
  for (let c = 0; c < probabilities.length; c++) sum += probabilities[c] = Math.exp(probabilities[c] - max)
  for (let c = 0; c < probabilities.length; c++) probabilities[c] /= sum
  return probabilities
}

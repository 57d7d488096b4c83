import {readFileSync} from 'node:fs'

import {LOGITS_OUTPUT, PROBABILITIES_OUTPUT, tokenFeeds} from '../engine/index.js'
import {OrtSession, tensor} from '../engine/ort-session.js'
import {readOnnxMetadataProps} from '../onnx/metadata-props.js'
import {applyInputNormalization} from '../onnx/input-normalization.js'
import {fromMetadataProps} from '../onnx/model-metadata.js'
import type {VerificationSample} from './verification-sample.js'

export interface VerificationSettings {
  /** Largest |file - reference| allowed on any output value. */
  tolerance: number
  task: 'classification' | 'regression'
  /** Network outputs per example. */
  outputs: number
  /** What the file's `probabilities` output applies to the logits, if it has one. */
  probabilities: 'softmax' | 'sigmoid' | 'none'
}

export interface VerificationReport {
  examples: number
  split: 'test' | 'train'
  /** Largest |file - reference| over every output value (logits and probabilities). */
  maxAbsDiff: number
  tolerance: number
  /** Classification: examples whose predicted class is the same in the file and the reference. */
  argmaxAgreement?: {agree: number; total: number}
  /** The sample's accuracy (classification) or mean absolute error (regression), of the file and of the reference. */
  sampleMetric: {name: 'accuracy' | 'mae'; file: number; reference: number}
  passed: boolean
}

/**
 * Loads the ONNX file at `path` in a fresh onnxruntime session, feeds it the sample as a client would
 * (normalized as the file's own input_normalization metadata says, in batches of the file's fixed batch
 * size if it has one) and compares every output with the reference logits. It passes when no value
 * differs by more than the tolerance and, for classifiers, every example gets the same class.
 */
export async function verifyOnnxFile(
  path: string,
  sample: VerificationSample,
  referenceLogits: Float32Array,
  settings: VerificationSettings,
): Promise<VerificationReport> {
  const {metadata} = fromMetadataProps(await readOnnxMetadataProps(path))
  const session = await OrtSession.create(readFileSync(path), 1)
  let outputs: Record<string, Float32Array>
  try {
    const [input] = session.inputMetadata
    if (!input.isTensor) throw new Error(`${path}: input ${input.name} is not a tensor`)
    const fixedBatch = typeof input.shape[0] === 'number' ? input.shape[0] : undefined
    if (sample.inputs instanceof Int32Array) {
      const text = metadata.textInput
      if (!text) throw new Error(`${path}: metadata_props text_input is missing or unusable`)
      const length = sample.inputs.length / sample.count
      outputs = await runInBatches(sample.count, fixedBatch, length, sample.inputs, (batch, rows) =>
        session.run(tokenFeeds(batch, [rows, length], text.padId)),
      )
    } else {
      const exampleShape = input.shape.slice(1) as number[]
      const normalization = metadata.inputNormalization
      if (!normalization) throw new Error(`${path}: metadata_props input_normalization is missing or unusable`)
      const inputs = applyInputNormalization(sample.inputs, exampleShape, normalization)
      const perExample = exampleShape.reduce((a, b) => a * b, 1)
      outputs = await runInBatches(sample.count, fixedBatch, perExample, inputs, (batch, rows) =>
        session.run({[input.name]: tensor(batch, [rows, ...exampleShape])}),
      )
    }
  } finally {
    await session.release()
  }
  return compareWithReference(outputs, referenceLogits, sample, settings)
}

/** Runs `count` examples; with a fixed batch size the last batch is padded by repeating its first example. */
async function runInBatches<T extends Uint8Array | Float32Array | Int32Array>(
  count: number,
  fixedBatch: number | undefined,
  perExample: number,
  inputs: T,
  run: (batch: T, rows: number) => Promise<Record<string, Float32Array>>,
): Promise<Record<string, Float32Array>> {
  const rows = fixedBatch ?? count
  const results: Record<string, Float32Array> = {}
  for (let from = 0; from < count; from += rows) {
    const real = Math.min(rows, count - from)
    let batch = inputs.subarray(from * perExample, (from + real) * perExample)
    if (real < rows) {
      const padded = new (inputs.constructor as new (length: number) => T)(rows * perExample)
      for (let r = real; r < rows; r++) padded.set(batch.subarray(0, perExample), r * perExample)
      padded.set(batch)
      batch = padded
    }
    const out = await run(batch as T, rows)
    for (const [name, values] of Object.entries(out)) {
      const perRow = values.length / rows
      results[name] ??= new Float32Array(count * perRow)
      results[name].set(values.subarray(0, real * perRow), from * perRow)
    }
  }
  return results
}

/** Compares a file's outputs on the sample with the reference logits; pure, so it is tested on its own. */
export function compareWithReference(
  outputs: Record<string, Float32Array>,
  referenceLogits: Float32Array,
  sample: VerificationSample,
  settings: VerificationSettings,
): VerificationReport {
  const logits = outputs[LOGITS_OUTPUT]
  if (!logits || logits.length !== referenceLogits.length) {
    throw new Error(
      `the exported file's ${LOGITS_OUTPUT} output has ${logits?.length ?? 0} values, the reference ${referenceLogits.length}`,
    )
  }
  let maxAbsDiff = maxDifference(logits, referenceLogits)
  if (settings.probabilities !== 'none') {
    const probabilities = outputs[PROBABILITIES_OUTPUT]
    if (!probabilities) throw new Error(`the exported file has no ${PROBABILITIES_OUTPUT} output`)
    maxAbsDiff = Math.max(
      maxAbsDiff,
      maxDifference(probabilities, activate(referenceLogits, settings.outputs, settings.probabilities)),
    )
  }
  const k = settings.outputs
  const classify = (values: Float32Array, n: number) =>
    k === 1 ? (values[n] > 0 ? 1 : 0) : argmax(values.subarray(n * k, (n + 1) * k))
  let agree = 0
  let fileCorrect = 0
  let referenceCorrect = 0
  let fileError = 0
  let referenceError = 0
  for (let n = 0; n < sample.count; n++) {
    if (settings.task === 'classification') {
      const fileClass = classify(logits, n)
      const referenceClass = classify(referenceLogits, n)
      if (fileClass === referenceClass) agree++
      if (fileClass === sample.targets[n]) fileCorrect++
      if (referenceClass === sample.targets[n]) referenceCorrect++
    } else {
      for (let j = 0; j < k; j++) {
        fileError += Math.abs(logits[n * k + j] - sample.targets[n * k + j])
        referenceError += Math.abs(referenceLogits[n * k + j] - sample.targets[n * k + j])
      }
    }
  }
  const classification = settings.task === 'classification'
  const withinTolerance = maxAbsDiff <= settings.tolerance
  return {
    examples: sample.count,
    split: sample.split,
    maxAbsDiff,
    tolerance: settings.tolerance,
    ...(classification && {argmaxAgreement: {agree, total: sample.count}}),
    sampleMetric: classification
      ? {name: 'accuracy', file: fileCorrect / sample.count, reference: referenceCorrect / sample.count}
      : {name: 'mae', file: fileError / (sample.count * k), reference: referenceError / (sample.count * k)},
    passed: withinTolerance && (!classification || agree === sample.count),
  }
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0
  // NaN must fail the comparison, so it counts as an infinite difference.
  for (let i = 0; i < a.length; i++) max = Math.max(max, Number.isNaN(a[i] - b[i]) ? Infinity : Math.abs(a[i] - b[i]))
  return max
}

function argmax(values: Float32Array): number {
  let best = 0
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i
  return best
}

/** Softmax per example, or element-wise sigmoid, in float64. */
function activate(logits: Float32Array, k: number, kind: 'softmax' | 'sigmoid'): Float64Array {
  const out = new Float64Array(logits.length)
  if (kind === 'sigmoid') {
    for (let i = 0; i < logits.length; i++) out[i] = 1 / (1 + Math.exp(-logits[i]))
    return out
  }
  for (let n = 0; n < logits.length / k; n++) {
    const row = logits.subarray(n * k, (n + 1) * k)
    const max = Math.max(...row)
    let sum = 0
    for (let j = 0; j < k; j++) sum += out[n * k + j] = Math.exp(row[j] - max)
    for (let j = 0; j < k; j++) out[n * k + j] /= sum
  }
  return out
}

import {existsSync, statSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'

import {UserError} from '../errors.js'
import {removeStaleTempFiles} from '../io/temp-files.js'
import {resolveModel} from '../model/resolve-model.js'
import {removeStaleRunTempFiles, RUN_ONNX_FILE} from '../run/run-dir.js'
import {checkOpset} from './export-opset.js'
import {buildExportModel, type ExportModelSettings, type TensorDescription} from './export-model.js'
import {verifyOnnxFile, type VerificationReport} from './onnx-verification.js'
import {tfjsReferenceLogits} from './tfjs-reference.js'
import {readTrainedRun} from './trained-run.js'
import {loadVerificationSample, type SampleSourceOptions} from './verification-sample.js'
import {writeVerifiedFile} from './verified-write.js'

export const EXPORT_DEFAULTS = {
  opset: 17,
  /** Examples the file is verified on: enough to meet every class, few enough for TensorFlow.js's CPU kernels. */
  sampleSize: 128,
} as const

/**
 * Largest output difference accepted from the reference, per unit of output magnitude: the default
 * tolerance is this times max(1, largest |reference output|), because float32 rounding grows with the
 * values (a regression output of ~100 has float32 steps of ~1e-5). float32: what two float32
 * implementations summing in different orders leave on logits of ~10 (measured 3e-6 to 6e-6 for the
 * LeNet and cnn presets on MNIST). float16 weights: rounding every weight to 11 significant bits moved
 * those logits by 1e-3 to 4e-3. An explicit --tolerance is absolute.
 */
export const DEFAULT_TOLERANCE = {float32: 1e-5, float16: 1e-2} as const

export interface ExportRequest extends Partial<Omit<ExportModelSettings, 'mlctlVersion'>> {
  runDir: string
  /** Default: model.onnx in the run directory (where `mlctl serve RUN_DIR` looks). */
  output?: string
  /** Default: DEFAULT_TOLERANCE for the weight type. */
  tolerance?: number
  sampleSize?: number
  mlctlVersion: string
  data?: SampleSourceOptions
  /** A flag that only applies to table models (export --include-preprocessing): any other run is refused, naming it. */
  tableOnly?: string
  /** Aborted (e.g. on Ctrl-C): the export stops at the next stage with the signal's reason, and writes no file. */
  signal?: AbortSignal
}

export interface ExportResult {
  output: string
  /** False when verification failed: then no file was written (and an earlier file at `output` is untouched). */
  kept: boolean
  bytes: number
  opset: number
  inputs: TensorDescription[]
  outputs: TensorDescription[]
  metadata: Record<string, string>
  verification: VerificationReport
  /** With --fp16: the file's size with float32 weights, to show what float16 saved. */
  float32Bytes?: number
}

/**
 * Exports a trained run to ONNX and keeps the file only if it computes what the run's model computes:
 * the file is written under a temporary name, loaded in a fresh onnxruntime session, run on real
 * examples of the run's dataset and compared with TensorFlow.js running the run's model/.
 */
export async function exportRun(request: ExportRequest): Promise<ExportResult> {
  const settings: ExportModelSettings = {
    opset: request.opset ?? EXPORT_DEFAULTS.opset,
    batch: request.batch ?? 'dynamic',
    includeSoftmax: request.includeSoftmax ?? false,
    normalize: request.normalize ?? false, // set once the run is read
    fp16: request.fp16 ?? false,
    mlctlVersion: request.mlctlVersion,
  }
  checkOpset(settings.opset)
  if (request.tolerance !== undefined && !(request.tolerance >= 0))
    throw new UserError(`--tolerance must be a number >= 0, got ${request.tolerance}`, 2)
  const run = readTrainedRun(request.runDir)
  if (request.tableOnly && run.spec.inputShape.length !== 1)
    throw new UserError(
      `${request.tableOnly} is for table models; ${request.runDir} takes images, so use --normalize to bake in its input scaling`,
      2,
    )
  // A table's clients have rows of raw values; images keep the established default (normalized float32).
  settings.normalize = request.normalize ?? run.spec.inputShape.length === 1
  const output = request.output ?? join(run.dir, RUN_ONNX_FILE)
  removeStaleRunTempFiles(run.dir)
  // Elsewhere than in the run, only the temp files of this output: mlctl does not own that directory.
  removeStaleTempFiles(dirname(output), basename(output))
  if (!existsSync(dirname(output)) || !statSync(dirname(output)).isDirectory()) {
    throw new UserError(
      `cannot write ${output}: directory ${dirname(output)} does not exist; create it or choose another -o`,
    )
  }

  const exported = buildExportModel(run, settings)
  const sample = await loadVerificationSample(run, request.sampleSize ?? EXPORT_DEFAULTS.sampleSize, request.data)
  request.signal?.throwIfAborted()
  const model = resolveModel(run.spec)
  const reference = await tfjsReferenceLogits(run.modelDir, sample, model.endsWithSoftmax)
  const tolerance =
    request.tolerance ??
    DEFAULT_TOLERANCE[settings.fp16 ? 'float16' : 'float32'] * Math.max(1, largestMagnitude(reference))
  const verification = await writeVerifiedFile(
    output,
    exported.bytes,
    (path) =>
      verifyOnnxFile(path, sample, reference, {
        tolerance,
        task: run.task,
        outputs: model.outputs,
        probabilities: exported.probabilities,
      }),
    request.signal,
  )
  return {
    output,
    kept: verification.passed,
    bytes: exported.bytes.byteLength,
    opset: settings.opset,
    inputs: exported.inputs,
    outputs: exported.outputs,
    metadata: exported.metadata,
    verification,
    ...(settings.fp16 && {float32Bytes: exported.float32Bytes}),
  }
}

function largestMagnitude(values: Float32Array): number {
  let max = 0
  for (const v of values) max = Math.max(max, Math.abs(v))
  return max
}

import {Args, Flags} from '@oclif/core'
import type {ChalkInstance} from 'chalk'

import {BaseCommand} from '../cli/base-command.js'
import {dataLocationFlags} from '../cli/data-location-flags.js'
import {colors} from '../cli/color.js'
import {DownloadProgress, formatBytes} from '../cli/download-progress.js'
import {formatMetric} from '../cli/epoch-progress.js'
import {numberFlag} from '../cli/number-flag.js'
import {listenForStop, SIGNAL_EXIT} from '../cli/stop-signal.js'
import {UserError} from '../core/errors.js'
import {SUPPORTED_OPSETS} from '../core/export/export-opset.js'
import type {TensorDescription} from '../core/export/export-model.js'
import {DEFAULT_TOLERANCE, EXPORT_DEFAULTS, exportRun, type ExportResult} from '../core/export/export-run.js'
import type {InputNormalization} from '../core/onnx/input-normalization.js'
import type {TextInput} from '../core/onnx/model-metadata.js'

export default class ExportOnnx extends BaseCommand {
  static description = `Export a trained run to a standard ONNX file, verified numerically before it is written.

The file is written under a temporary name, loaded in a fresh onnxruntime session and run on up to ${EXPORT_DEFAULTS.sampleSize} real examples of the run's dataset (its test split when it has one); its outputs are compared with TensorFlow.js running the run's model/. Only when no output differs by more than --tolerance and every example keeps its class is the file renamed to its final name.

Exit codes: 0 exported, 1 error or failed verification (no file written), 2 bad usage, 130/143 interrupted by SIGINT/SIGTERM (no file written).`

  static examples = [
    '<%= config.bin %> <%= command.id %> runs/lenet',
    '<%= config.bin %> <%= command.id %> runs/lenet -o lenet.onnx --include-softmax --normalize',
    '<%= config.bin %> <%= command.id %> runs/lenet --batch 8 --opset 13 --fp16 --json',
  ]

  static args = {
    run_dir: Args.string({description: 'Run directory written by mlctl train.', required: true}),
  }

  static enableJsonFlag = true

  static flags = {
    output: Flags.string({
      char: 'o',
      description: 'ONNX file to write [default: RUN_DIR/model.onnx].',
      helpValue: 'FILE.onnx',
    }),
    opset: Flags.integer({
      description: `ONNX opset to declare (${SUPPORTED_OPSETS.min}-${SUPPORTED_OPSETS.max}).`,
      default: EXPORT_DEFAULTS.opset,
    }),
    batch: Flags.string({
      description: 'Batch dimension of input and outputs: dynamic (symbolic), or a fixed size N.',
      default: 'dynamic',
      helpValue: 'dynamic|N',
    }),
    'include-softmax': Flags.boolean({
      description: 'Add a `probabilities` output beside `logits` (sigmoid for a one-output binary classifier).',
    }),
    normalize: Flags.boolean({
      description:
        'Bake the input scaling into the graph, so that clients send raw values (uint8 pixels, table rows) instead of normalized float32. [default: on for tables, off for images]',
      allowNo: true,
    }),
    'include-preprocessing': Flags.boolean({
      description:
        "Table models: bake the numeric preprocessing into the graph (each input's fitted centering and scaling, and the regression target's), so that the input takes the encoded columns unscaled and the output is in the target's units. The default for tables; the column encoding itself (one-hot categories, binary 0/1, date features, missing-value fill) stays with the client, as table_preprocessing describes.",
      exclusive: ['normalize'],
    }),
    tolerance: numberFlag({
      description: `Largest absolute output difference from the reference accepted. [default: ${DEFAULT_TOLERANCE.float32.toExponential()} (${DEFAULT_TOLERANCE.float16.toExponential()} with --fp16) times the largest |output|, at least 1]`,
      helpValue: 'X',
      min: 0,
    }),
    fp16: Flags.boolean({
      description:
        'Store the weights as float16 (about half the file); kept only if every sample example keeps its class.',
    }),
    ...dataLocationFlags,
    json: Flags.boolean({
      description: 'Print one JSON object with the file, its signature, metadata and the verification.',
    }),
  }

  async run(): Promise<ExportResult> {
    const {args, flags} = await this.parse(ExportOnnx)
    const color = colors()
    const downloads = new DownloadProgress(this.jsonEnabled())
    this.logToStderr(
      `Exporting ${args.run_dir}; verifying against TensorFlow.js on up to ${EXPORT_DEFAULTS.sampleSize} examples...`,
    )
    // Ctrl-C stops the export at its next stage, and the temporary file goes with it.
    const stop = listenForStop({
      onStop: (signal) => process.stderr.write(`\n${signal}: stopping; no file will be written\n`),
    })
    let result: ExportResult
    try {
      result = await exportRun({
        runDir: args.run_dir,
        output: flags.output,
        opset: flags.opset,
        batch: parseBatch(flags.batch),
        includeSoftmax: flags['include-softmax'],
        normalize: flags['include-preprocessing'] || flags.normalize,
        tableOnly: flags['include-preprocessing'] ? '--include-preprocessing' : undefined,
        fp16: flags.fp16,
        tolerance: flags.tolerance,
        mlctlVersion: this.config.version,
        data: {from: flags.from, dataDir: flags['data-dir'], onDownload: (event) => downloads.report(event)},
        signal: stop.abortSignal,
      })
    } catch (err) {
      if (!stop.signal) throw err
      process.stderr.write('Interrupted; no file was written.\n')
      this.exit(SIGNAL_EXIT[stop.signal])
    } finally {
      downloads.stop()
      stop.dispose()
    }

    this.log(describeResult(args.run_dir, result, color))
    if (!result.kept)
      this.failAfterOutput(`Error: verification failed: ${failureReason(result)}; no file was written`, 1)
    return result
  }
}

function parseBatch(value: string): 'dynamic' | number {
  if (value === 'dynamic') return value
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1)
    throw new UserError(`--batch must be dynamic or a positive integer, got '${value}'`, 2)
  return n
}

function formatTolerance(value: number): string {
  return value === 0 ? '0' : value.toExponential(2)
}

function failureReason({verification: v}: ExportResult): string {
  const reasons: string[] = []
  if (!(v.maxAbsDiff <= v.tolerance))
    reasons.push(`max abs diff ${v.maxAbsDiff.toExponential(2)} is above the tolerance ${formatTolerance(v.tolerance)}`)
  if (v.argmaxAgreement && v.argmaxAgreement.agree < v.argmaxAgreement.total) {
    reasons.push(
      `${v.argmaxAgreement.total - v.argmaxAgreement.agree} of ${v.argmaxAgreement.total} examples get another class`,
    )
  }
  return reasons.join(' and ')
}

function describeResult(runDir: string, r: ExportResult, color: ChalkInstance): string {
  const v = r.verification
  const tensor = (t: TensorDescription) => `${t.name} ${t.type}[${t.shape.join(',')}]`
  const metric = (value: number) => formatMetric(v.sampleMetric.name, value)
  const lines = [
    r.kept
      ? color.bold(`Exported ${runDir} to ${r.output} (${formatBytes(r.bytes)}, opset ${r.opset})`)
      : color.red(`Export of ${runDir} failed verification`),
    r.metadata.text_input
      ? `  input     ${r.inputs.map(tensor).join(', ')}  token ids, padded with ${(JSON.parse(r.metadata.text_input) as TextInput).padId}, and their attention mask`
      : `  input     ${r.inputs.map(tensor).join(', ')}  ${r.metadata.input_layout}, ${describeNormalization(JSON.parse(r.metadata.input_normalization) as InputNormalization)}`,
    `  outputs   ${r.outputs.map(tensor).join(', ')}`,
    `  verified  ${v.examples} ${v.split} examples in a fresh onnxruntime session against TensorFlow.js on model/: ${v.passed ? color.green('passed') : color.red('FAILED')}`,
    `            max abs diff ${v.maxAbsDiff.toExponential(2)} (tolerance ${formatTolerance(v.tolerance)})` +
      (v.argmaxAgreement ? `, same class ${v.argmaxAgreement.agree}/${v.argmaxAgreement.total}` : '') +
      `, sample ${v.sampleMetric.name} ${metric(v.sampleMetric.file)}`,
  ]
  if (r.float32Bytes !== undefined) {
    const saved = r.float32Bytes - r.bytes
    lines.push(
      `  fp16      ${formatBytes(saved)} smaller than with float32 weights (${Math.round((100 * saved) / r.float32Bytes)}%); ` +
        `sample ${v.sampleMetric.name} ${metric(v.sampleMetric.file)} vs ${metric(v.sampleMetric.reference)} in float32`,
    )
  }
  return lines.join('\n')
}

function describeNormalization(n: InputNormalization): string {
  const identity = n.scale === 1 && n.mean.every((m) => m === 0) && n.std.every((s) => s === 1)
  if (identity) return `send raw ${n.inputType} values`
  const list = (values: number[]) => (values.length === 1 ? String(values[0]) : `[${values.join(', ')}]`)
  return `send (x * ${+n.scale.toPrecision(6)} - ${list(n.mean)}) / ${list(n.std)} as ${n.inputType}`
}

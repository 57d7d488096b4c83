import {existsSync, statSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'

import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {dataLocationFlags} from '../cli/data-location-flags.js'
import {colors} from '../cli/color.js'
import {DownloadProgress} from '../cli/download-progress.js'
import {formatEvaluation, rawPixelsWarning} from '../cli/evaluation-report.js'
import {ImageFolderProgress} from '../cli/image-folder-progress.js'
import {inputScalingFlags, inputScalingFromFlags} from '../cli/input-scaling-flags.js'
import {numberFlag} from '../cli/number-flag.js'
import {confusionMatrixSvg} from '../core/evaluate/confusion-matrix-svg.js'
import {type Evaluation, evaluateModel} from '../core/evaluate/evaluate-model.js'
import {SPLITS, type SplitName} from '../core/evaluate/evaluation-data.js'
import {GATE_FAILED_EXIT, type GateFlag, GATES, gateFailureReason, type GateThresholds} from '../core/evaluate/gates.js'
import {UserError} from '../core/errors.js'
import {writeFileAtomic} from '../core/io/atomic-write.js'

const gateFlag = (help: string) => numberFlag({description: help, helpValue: 'X', helpGroup: 'GATE'})

export default class Evaluate extends BaseCommand {
  static description = `Evaluate a trained run or an ONNX model on a dataset split: metrics, per-class report, confusion matrix, CI gates.

A run directory is scored through the same ONNX inference graph that export-onnx writes, so a run and its exported file give the same numbers. The data defaults to what the model was trained on; --split val is train's validation hold-out, --split train the examples the model was fitted on.

A float32 model input gets (x * scale - mean) / std of the stored values (0-255 pixels, CSV features), as the model's input_normalization metadata says; --input-scale, --input-mean and --input-std set or override it, e.g. for a model exported by PyTorch. The report says which scaling was used.

Exit codes: 0 evaluated (and every gate passed), 1 error, 2 bad usage or data that does not fit the model, ${GATE_FAILED_EXIT} a gate was missed (one line on stderr says which).`

  static examples = [
    '<%= config.bin %> <%= command.id %> runs/lenet',
    '<%= config.bin %> <%= command.id %> model.onnx --dataset fashion-mnist --from /usr/share/datasets/fashion-mnist --confusion',
    '<%= config.bin %> <%= command.id %> runs/lenet --split val --json --out eval.json',
    '<%= config.bin %> <%= command.id %> resnet.onnx --dataset cifar10 --input-scale 1/255 --input-mean 0.4914,0.4822,0.4465 --input-std 0.247,0.243,0.261',
    '<%= config.bin %> <%= command.id %> runs/cars --data examples/cars.csv --target Miles_per_Gallon --max-rmse 4',
    '<%= config.bin %> <%= command.id %> runs/lenet --min-accuracy 0.95 --max-loss 0.2 || echo "model not good enough"',
  ]

  static args = {
    model: Args.string({description: 'Run directory written by mlctl train, or an .onnx file.', required: true}),
  }

  static enableJsonFlag = true

  static flags = {
    dataset: Flags.string({
      description: 'Registry dataset [default: the one the model was trained on].',
      helpValue: 'NAME',
      exclusive: ['data'],
    }),
    data: Flags.string({
      description:
        'CSV table (with --target) or image folder to evaluate on [default: the data the model was trained on].',
      helpValue: 'FILE.csv|DIR',
    }),
    'text-column': Flags.string({
      description: 'Text models: the CSV column holding text [default: the one the model was trained on].',
      helpValue: 'COL',
      dependsOn: ['data'],
    }),
    target: Flags.string({description: 'CSV column the model predicts.', helpValue: 'COL', dependsOn: ['data']}),
    ...dataLocationFlags,
    split: Flags.string({description: 'Split to evaluate on.', options: [...SPLITS], default: 'test'}),
    'val-split': numberFlag({
      description: "Validation fraction for --split val/train [default: the run's, else 0.1].",
      helpValue: 'X',
    }),
    'batch-size': Flags.integer({description: 'Examples per inference call.', default: 256}),
    'top-k': Flags.integer({description: 'k of the top-k accuracy.', default: 5}),
    ...inputScalingFlags,
    json: Flags.boolean({description: 'Print one JSON object instead of the report.'}),
    out: Flags.string({description: 'Also write the JSON object to FILE.', helpValue: 'FILE'}),
    confusion: Flags.boolean({
      description:
        'Write the confusion matrix as SVG: beside --out, else in the run directory or beside the .onnx file.',
    }),
    'min-accuracy': gateFlag('Fail (exit 3) when accuracy is below X, a fraction (0.9 = 90%).'),
    'min-top-k-accuracy': gateFlag('Fail when top-k accuracy is below X.'),
    'min-macro-f1': gateFlag('Fail when the macro-averaged F1 is below X.'),
    'max-loss': gateFlag('Fail when the loss (cross-entropy, or the regression loss) is above X.'),
    'max-mse': gateFlag('Regression: fail when MSE is above X.'),
    'max-rmse': gateFlag('Regression: fail when RMSE is above X.'),
    'max-mae': gateFlag('Regression: fail when MAE is above X.'),
    'min-r2': gateFlag('Regression: fail when R² is below X.'),
  }

  async run(): Promise<Evaluation> {
    const {args, flags} = await this.parse(Evaluate)
    const color = colors()
    const gates: GateThresholds = {}
    for (const flag of Object.keys(GATES) as GateFlag[]) gates[flag] = flags[flag]

    const downloads = new DownloadProgress(this.jsonEnabled())
    const decoding = new ImageFolderProgress(this.jsonEnabled())
    let evaluation: Evaluation
    try {
      evaluation = await evaluateModel({
        model: args.model,
        dataset: flags.dataset,
        data: flags.data,
        target: flags.target,
        textColumn: flags['text-column'],
        from: flags.from,
        dataDir: flags['data-dir'],
        split: flags.split as SplitName,
        valSplit: flags['val-split'],
        batchSize: flags['batch-size'],
        topK: flags['top-k'],
        gates,
        inputScaling: inputScalingFromFlags(flags),
        onDownload: (event) => downloads.report(event),
        onImageProgress: (event) => decoding.report(event),
      })
    } finally {
      downloads.stop()
      decoding.stop()
    }

    if (flags.out)
      writeReportFile(flags.out, () => writeFileAtomic(flags.out!, `${JSON.stringify(evaluation, null, 2)}\n`))
    const svgPath = flags.confusion
      ? writeReportFile(flags.out ?? args.model, () => writeConfusionSvg(evaluation, flags.out))
      : undefined
    // Written directly: oclif's logToStderr is silent with --json, and these must not be.
    const warning = rawPixelsWarning(evaluation)
    if (warning) process.stderr.write(`${warning}\n`)
    const skipped = evaluation.data.skipped
    if (skipped)
      process.stderr.write(
        `Skipped ${skipped.count} bad image file${skipped.count === 1 ? '' : 's'}: ${skipped.first.map((f) => `${f.path} ${f.problem}`).join('; ')}${skipped.count > skipped.first.length ? '; …' : ''}\n`,
      )
    if (flags.confusion && !svgPath)
      process.stderr.write('--confusion: a regression model has no confusion matrix; no SVG written\n')
    this.log(formatEvaluation(evaluation, color))
    if (flags.out) this.log(`\nReport written to ${flags.out}`)
    if (svgPath) this.log(`${flags.out ? '' : '\n'}Confusion matrix written to ${svgPath}`)

    const reason = gateFailureReason(evaluation.gates)
    if (reason) this.failAfterOutput(`Gate failed: ${reason}`, GATE_FAILED_EXIT)
    return evaluation
  }
}

/** A report that cannot be written (no such directory, no permission) is the user's to fix, not a crash. */
function writeReportFile<T>(path: string, write: () => T): T {
  try {
    return write()
  } catch (error) {
    throw new UserError(
      `cannot write next to ${path} (${(error as Error).message}); check that the directory exists and is writable`,
    )
  }
}

function writeConfusionSvg(evaluation: Evaluation, out: string | undefined): string | undefined {
  const {report, model, data} = evaluation
  if (report.task !== 'classification') return undefined
  const path = confusionSvgPath(model.path, data.split, out)
  const title = `${data.source}, ${data.split} split: ${report.examples} examples, accuracy ${(report.accuracy * 100).toFixed(2)}%`
  writeFileAtomic(path, confusionMatrixSvg(report.classNames, report.confusionMatrix, title))
  return path
}

function confusionSvgPath(modelPath: string, split: string, out: string | undefined): string {
  if (out) return `${out.replace(/\.json$/i, '')}.confusion.svg`
  if (!statSync(modelPath).isDirectory())
    return join(dirname(modelPath), `${basename(modelPath).replace(/\.onnx$/i, '')}.confusion-${split}.svg`)
  // Given the run's model/ folder, write beside it in the run directory, not inside the model.
  const runDir = existsSync(join(modelPath, 'model.json')) ? dirname(modelPath) : modelPath
  return join(runDir, `confusion-${split}.svg`)
}

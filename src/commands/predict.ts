import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {colors} from '../cli/color.js'
import {imagePreprocessingFlags, imagePreprocessingFromFlags} from '../cli/image-preprocessing-flags.js'
import {inputScalingFlags, inputScalingFromFlags} from '../cli/input-scaling-flags.js'
import {PredictProgress} from '../cli/predict-progress.js'
import {formatPredictions} from '../cli/prediction-table.js'
import {UserError} from '../core/errors.js'
import {writeFileAtomic} from '../core/io/atomic-write.js'
import {formatPredictionFile, predictionFileFormat} from '../core/predict/prediction-files.js'
import {predictInputs, type PredictResult} from '../core/predict/predict-inputs.js'

export default class Predict extends BaseCommand {
  static description = `Predict images, table rows or texts with a trained run or an ONNX model: label and probability per input.

MODEL is a run directory (predicted through the same graph evaluate scores, so the two agree) or an .onnx file. INPUT is image files, folders (searched recursively for .jpg, .png, .webp, .gif, .tiff, .avif), quoted globs ('photos/**/*.jpg'), or, for a table model, CSV files with the model's columns in any order (a target column is left out and said so), or, for a text model, text files with one example per line (blank lines skipped), CSV files' --text-column, folders of .txt files (one example per file, as train reads a text folder; class subfolders allowed) and --text strings, tokenized with the model's own tokenizer.

Images are decoded and resized as the model records (image_size, channels, resize); for a model that does not say, e.g. one exported by PyTorch, --image-size, --channels, --resize and --input-scale/--input-mean/--input-std say it.

An input that cannot be read or decoded is reported in the output with its error, every other input is still predicted, and the exit code is 1. Exit codes: 0 every input predicted, 1 some input failed (or another error), 2 bad usage or inputs that do not fit the model.`

  static examples = [
    '<%= config.bin %> <%= command.id %> runs/lenet digit.png',
    '<%= config.bin %> <%= command.id %> runs/photos photos/ --top-k 3',
    "<%= config.bin %> <%= command.id %> model.onnx 'shop/**/*.jpg' --out predictions.csv",
    '<%= config.bin %> <%= command.id %> resnet.onnx cat.jpg --image-size 224 --channels 3 --input-scale 1/255 --input-mean 0.485,0.456,0.406 --input-std 0.229,0.224,0.225',
    '<%= config.bin %> <%= command.id %> runs/demand new-rows.csv --json',
    '<%= config.bin %> <%= command.id %> runs/reviews --text "Broke after two days" --text "Works great"',
    '<%= config.bin %> <%= command.id %> reviews.onnx new-reviews.txt --out predictions.csv',
    '<%= config.bin %> <%= command.id %> runs/reviews support-tickets/ --json',
  ]

  static args = {
    model: Args.string({description: 'Run directory written by mlctl train, or an .onnx file.', required: true}),
    input: Args.string({
      description:
        'Image files, folders, globs, CSV files for a table model, or text files and folders for a text model.',
    }),
  }

  // INPUT takes any number of paths (oclif would then write every argument as repeatable in the usage line).
  static strict = false

  static usage = ['<%= command.id %> MODEL INPUT... [FLAGS]', '<%= command.id %> MODEL --text TEXT... [FLAGS]']

  static enableJsonFlag = true

  static flags = {
    'top-k': Flags.integer({description: 'Classes to show per input, most probable first.', default: 1, min: 1}),
    out: Flags.string({
      description: 'Also write the predictions to FILE: .csv (one row per input) or .jsonl (one object per line).',
      helpValue: 'FILE',
    }),
    text: Flags.string({
      description: 'A text to predict with a text model (repeatable).',
      multiple: true,
      // --text "a" review.txt: the file stays an INPUT, not a second text.
      multipleNonGreedy: true,
      helpValue: 'TEXT',
    }),
    'text-column': Flags.string({
      description: "A text model's CSV inputs: the column holding the texts [default: the one the run was trained on].",
      helpValue: 'COL',
    }),
    'batch-size': Flags.integer({description: 'Inputs per inference call.', default: 64, min: 1}),
    ...imagePreprocessingFlags,
    ...inputScalingFlags,
  }

  async run(): Promise<PredictResult> {
    const {args, argv, flags} = await this.parse(Predict)
    const inputs = (argv as string[]).slice(1)
    const format = flags.out ? predictionFileFormat(flags.out) : undefined
    const scaling = inputScalingFromFlags(flags)
    const progress = new PredictProgress(this.jsonEnabled())
    let result: PredictResult
    try {
      result = await predictInputs({
        model: args.model,
        inputs,
        texts: flags.text,
        textColumn: flags['text-column'],
        batchSize: flags['batch-size'],
        topK: flags['top-k'],
        overrides: {...imagePreprocessingFromFlags(flags), ...(scaling && {scaling})},
        onProgress: (done, total) => progress.report(done, total),
      })
    } finally {
      progress.stop()
    }
    if (flags.out && format) {
      try {
        writeFileAtomic(flags.out, formatPredictionFile(result.predictions, format, flags['top-k']))
      } catch (error) {
        throw new UserError(
          `cannot write ${flags.out} (${(error as Error).message}); check that the directory exists and is writable`,
        )
      }
    }
    // Written directly: oclif's logToStderr is silent with --json, and these must not be.
    if (result.ignoredColumns)
      process.stderr.write(`Left out column ${result.ignoredColumns.join(', ')}: the model predicts it\n`)
    if (result.classFolders)
      process.stderr.write(
        `Left out class folder names ${result.classFolders.join(', ')}: the model predicts them (mlctl evaluate MODEL --data DIR scores against them)\n`,
      )
    const warning = rawPixelsWarning(result)
    if (warning) process.stderr.write(`${warning}\n`)
    this.log(formatPredictions(result, colors()))
    if (flags.out) this.log(`Predictions written to ${flags.out}`)
    if (result.failed > 0)
      this.failAfterOutput(
        `${result.failed} of ${result.predictions.length} inputs could not be predicted (see their errors above)`,
        1,
      )
    return result
  }
}

/** Image bytes fed unscaled to a float32 input because the model does not say what it expects. */
function rawPixelsWarning({model}: PredictResult): string | undefined {
  const {input} = model
  if (input.kind !== 'image' || input.type !== 'float32' || input.scaling !== 'none') return undefined
  return 'Warning: the model does not say how to scale its float32 input, so it gets the pixel values as they are (0-255); if it expects scaled pixels pass --input-scale 1/255 (and --input-mean/--input-std)'
}

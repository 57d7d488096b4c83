import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {colors} from '../cli/color.js'
import {dataLocationFlags} from '../cli/data-location-flags.js'
import {DownloadProgress} from '../cli/download-progress.js'
import {EpochProgress, formatMetric, type ThroughputUnit} from '../cli/epoch-progress.js'
import {describeImageFolder, ImageFolderProgress} from '../cli/image-folder-progress.js'
import {listenForStop, SIGNAL_EXIT} from '../cli/stop-signal.js'
import {trainOptionFlags, trainOptionsGiven} from '../cli/train-flags.js'
import {ENGINE_NAMES} from '../core/train/engines.js'
import {trainRun, type TrainRunStart} from '../core/train/train-run.js'

export default class Train extends BaseCommand {
  static description = `Train a model from a preset or a spec file on a dataset; writes a run directory with the model, checkpoints and metrics.

Runs on ONNX Runtime (onnxruntime-node, CPU) by default. --engine tfjs trains the same model with TensorFlow.js: native TensorFlow through @tensorflow/tfjs-node when it is installed, otherwise pure JavaScript (one thread, much slower; a warning says so). The start-of-run line names the backend. Ctrl-C finishes the current step, saves checkpoints/last and prints how to resume.`

  static examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --dataset fashion-mnist --model cnn --epochs 20 --optimizer adamw --schedule cosine',
    '<%= config.bin %> <%= command.id %> --data examples/cars.csv --target Miles_per_Gallon',
    '<%= config.bin %> <%= command.id %> --dataset cifar10 --model lenet-cifar --augment crop,flip',
    '<%= config.bin %> <%= command.id %> --data photos/ --image-size 32 --model cnn',
    '<%= config.bin %> <%= command.id %> --resume runs/2026-11-28T10-00-00',
    '<%= config.bin %> <%= command.id %> --config train.yaml --epochs 3 --json',
  ]

  static enableJsonFlag = true

  static flags = {
    ...trainOptionFlags,
    engine: {...trainOptionFlags.engine, options: ENGINE_NAMES},
    ...dataLocationFlags,
    resume: Flags.directory({
      description:
        'Continue the run in DIR from its last checkpoint (from epoch 1 when it has none; a run killed after its last epoch only writes model/ and tests it).',
      helpValue: 'DIR',
      exclusive: ['out'],
    }),
    config: Flags.file({
      description: 'JSON or YAML file of flag values (keys are flag names); flags override it.',
      helpValue: 'FILE',
    }),
    json: Flags.boolean({description: 'Print one JSON object with the run directory and final metrics.'}),
  }

  async run() {
    const {flags} = await this.parse(Train)
    const color = colors()
    const quiet = this.jsonEnabled()
    const stop = listenForStop({
      onStop: (signal) =>
        process.stderr.write(
          `\n${signal}: finishing the current step and saving checkpoints/last (press Ctrl-C again to quit at once)\n`,
        ),
      // A second Ctrl-C: the user does not want to wait for the step.
      onRepeat: (signal) => process.exit(SIGNAL_EXIT[signal]),
    })
    const downloads = new DownloadProgress(quiet)
    const decoding = new ImageFolderProgress(quiet)
    let progress: EpochProgress | undefined
    try {
      const result = await trainRun({
        flags: trainOptionsGiven(flags),
        configFile: flags.config,
        resume: flags.resume,
        from: flags.from,
        dataDir: flags['data-dir'],
        mlctlVersion: this.config.version,
        onDownload: (event) => downloads.report(event),
        onImageProgress: (event) => decoding.report(event),
        onWarning: (message) => {
          downloads.stop()
          process.stderr.write(color.yellow(`Warning: ${message}\n`))
        },
        onStart: (start) => {
          downloads.stop()
          decoding.stop()
          if (!quiet) process.stderr.write(describeStart(start, color))
          progress = new EpochProgress(color, start.metric, start.config.epochs, throughputUnit(start))
        },
        onStep: quiet ? undefined : (p) => progress?.step(p),
        onEpoch: quiet ? undefined : (r, best) => progress?.epoch(r, best),
        shouldStop: () => stop.signal !== undefined,
      })
      progress?.stop()
      const last = result.epochs.at(-1)
      if (result.outcome !== 'interrupted') {
        if (result.outcome === 'early-stopped')
          this.log(
            `Early stop: no better validation ${result.metric} for ${last ? last.epoch - (result.best?.epoch ?? 0) : 0} epochs.`,
          )
        if (result.best)
          this.log(
            `Best epoch ${result.best.epoch}: validation ${result.metric} ${formatMetric(result.metric, result.best.metric)} (model/ holds it).`,
          )
        if (result.test)
          this.log(
            color.bold(
              `Test: loss ${result.test.loss.toFixed(4)}, ${result.metric} ${formatMetric(result.metric, result.test.metric)}`,
            ),
          )
        this.log(`Run saved in ${result.runDir}`)
      } else {
        this.failAfterOutput(
          `Interrupted; checkpoint saved. Resume with: mlctl train --resume ${result.runDir}`,
          SIGNAL_EXIT[stop.signal ?? 'SIGINT'],
        )
      }
      return {
        runDir: result.runDir,
        outcome: result.outcome,
        metric: result.metric,
        best: result.best,
        final: last,
        test: result.test,
      }
    } finally {
      progress?.stop()
      downloads.stop()
      decoding.stop()
      stop.dispose()
    }
  }
}

function throughputUnit(start: TrainRunStart): ThroughputUnit {
  if (start.dataset.text) return {examples: 'examples', meanTokens: start.dataset.text.meanTokens}
  return {examples: start.spec.inputShape.length === 1 ? 'rows' : 'img'}
}

function describeStart(start: TrainRunStart, color: ReturnType<typeof colors>): string {
  const c = start.config
  const data = c.data ? (c.target === undefined ? c.data : `${c.data} (target ${c.target})`) : c.dataset
  const title = start.trainingEnded
    ? color.bold(`Finishing ${start.runDir}`) +
      `: training ended at epoch ${start.resumedAt?.epoch}; writing model/ from checkpoints/best and testing it`
    : color.bold(`${start.resumedAt ? 'Resuming' : 'Training'} ${start.runDir}`) +
      (start.resumedAt ? ` at epoch ${start.resumedAt.epoch + 1}, step ${start.resumedAt.step}` : '')
  const lines = [
    title,
    `  data      ${data}: ${start.dataset.train} train, ${start.dataset.validation} validation, ${start.dataset.test} test (${start.dataset.task})`,
    `  model     ${c.model}: ${start.spec.layers.map((l) => l.type).join(' → ')}`,
    `  training  ${c.epochs} epochs, batch ${c['batch-size']}, ${c.optimizer} lr ${c.lr} (${c.schedule}${c['warmup-epochs'] ? `, warm-up ${c['warmup-epochs']} epochs` : ''}), loss ${c.loss ?? 'default'}, seed ${c.seed}`,
    `  engine    ${start.engine}`,
  ]
  const text = start.dataset.text
  if (text)
    lines.splice(
      2,
      0,
      `  tokens    WordPiece, ${text.vocabSize.toLocaleString('en-US')} tokens (${c.tokenizer ? `from ${c.tokenizer}` : text.trained ? 'trained on the training texts' : "the run's tokenizer.json"}), ${text.maxLength} per text, ${text.truncated.toLocaleString('en-US')} texts truncated${text.skippedFiles ? `, ${text.skippedFiles} files skipped (binary or not .txt)` : ''}`,
    )
  if (start.chosen) lines.splice(text ? 5 : 4, 0, `  defaults  ${start.chosen} (flags or --config override them)`)
  if (start.dataset.imageFolder) lines.splice(2, 0, ...describeImageFolder(start.dataset.imageFolder))
  const ignored = start.dataset.ignoredColumns ?? []
  if (ignored.length > 0) lines.splice(2, 0, `  ignored   ${ignored.map((i) => `${i.column}: ${i.reason}`).join('; ')}`)
  if (c.scale === 'robust')
    lines.splice(
      2,
      0,
      '  scaling   robust: each feature centered on its training median, divided by its interquartile range',
    )
  const time = start.dataset.timeSplit
  if (time)
    lines.splice(
      2,
      0,
      `  split     by ${time.column}: the latest rows are the test split${time.testFrom ? ` (from ${time.testFrom})` : ''}, the latest before them validation`,
    )
  if (start.dataset.droppedRows)
    lines.splice(2, 0, `  dropped   ${start.dataset.droppedRows} rows with a missing cell (--drop-missing)`)
  const summary = start.dataset.columnSummary ?? []
  if (summary.length > 0) {
    const width = Math.max(...summary.map((s) => s.column.length))
    lines.splice(
      2,
      0,
      ...summary.map((s, i) => `  ${i === 0 ? 'columns' : '       '}   ${s.column.padEnd(width)}  ${s.details}`),
    )
  }
  // Just above the engine line, below the training settings.
  if (start.augmentation) lines.splice(-1, 0, `  augment   ${start.augmentation} (training batches only)`)
  return `${lines.join('\n')}\n`
}

import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {SIGNAL_EXIT, type StopSignal} from '../cli/signal-exit.js'
import {dataLocationFlags} from '../cli/data-location-flags.js'
import {colors} from '../cli/color.js'
import {DownloadProgress} from '../cli/download-progress.js'
import {EpochProgress, formatMetric} from '../cli/epoch-progress.js'
import {OPTIMIZER_NAMES} from '../core/optim/index.js'
import {ENGINE_NAMES} from '../core/train/engines.js'
import {TRAIN_DEFAULTS, type TrainConfig} from '../core/train/train-config.js'
import {LOSS_CHOICES, trainRun, type TrainRunStart} from '../core/train/train-run.js'

export default class Train extends BaseCommand {
  static description = `Train a model from a preset or a spec file on a dataset; writes a run directory with the model, checkpoints and metrics.

Runs on ONNX Runtime (onnxruntime-node, CPU) by default. --engine tfjs trains the same model with TensorFlow.js: native TensorFlow through @tensorflow/tfjs-node when it is installed, otherwise pure JavaScript (one thread, much slower; a warning says so). The start-of-run line names the backend. Ctrl-C finishes the current step, saves checkpoints/last and prints how to resume.`

  static examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --dataset fashion-mnist --model cnn --epochs 20 --optimizer adamw --schedule cosine',
    '<%= config.bin %> <%= command.id %> --data examples/retail-demand.csv --target units_sold --model mlp --loss mse',
    '<%= config.bin %> <%= command.id %> --resume runs/2026-11-28T10-00-00',
    '<%= config.bin %> <%= command.id %> --config train.yaml --epochs 3 --json',
  ]

  static flags = {
    dataset: Flags.string({
      description: `Registry dataset (see fetch-data --list). [default: ${TRAIN_DEFAULTS.dataset}]`,
      helpValue: 'NAME',
      exclusive: ['data'],
    }),
    data: Flags.string({
      description: 'CSV table to train on instead of a registry dataset (with --target).',
      helpValue: 'FILE.csv',
    }),
    target: Flags.string({description: 'CSV column to predict.', helpValue: 'COL', dependsOn: ['data']}),
    ...dataLocationFlags,
    model: Flags.string({
      description: `Preset (mlp, lenet, cnn) or a JSON model spec file. [default: ${TRAIN_DEFAULTS.model}]`,
      helpValue: 'PRESET|spec.json',
    }),
    epochs: Flags.integer({description: `Epochs to train. [default: ${TRAIN_DEFAULTS.epochs}]`}),
    'batch-size': Flags.integer({description: `Examples per step. [default: ${TRAIN_DEFAULTS['batch-size']}]`}),
    optimizer: Flags.string({
      description: `Optimizer. [default: ${TRAIN_DEFAULTS.optimizer}]`,
      options: [...OPTIMIZER_NAMES],
    }),
    lr: Flags.string({description: `Learning rate. [default: ${TRAIN_DEFAULTS.lr}]`, helpValue: 'X'}),
    momentum: Flags.string({description: 'Momentum (momentum, rmsprop) [default: 0.9 for momentum].', helpValue: 'X'}),
    'weight-decay': Flags.string({
      description: 'L2 penalty; decoupled decay for adamw [default: 0, adamw 0.01].',
      helpValue: 'X',
    }),
    'clip-norm': Flags.string({description: 'Clip gradients to this global L2 norm.', helpValue: 'X'}),
    schedule: Flags.string({
      description: `Learning-rate schedule: step divides by 10 every third of the run. [default: ${TRAIN_DEFAULTS.schedule}]`,
      options: ['constant', 'step', 'cosine'],
    }),
    'warmup-epochs': Flags.string({
      description: 'Linear learning-rate warm-up over this many epochs (may be fractional).',
      helpValue: 'N',
    }),
    loss: Flags.string({
      description: 'Loss [default: cross-entropy for classes, mse for numbers].',
      options: [...LOSS_CHOICES],
    }),
    'label-smoothing': Flags.string({description: 'Label smoothing for cross-entropy, in [0, 1).', helpValue: 'X'}),
    'val-split': Flags.string({
      description: `Fraction of the training set held out for validation. [default: ${TRAIN_DEFAULTS['val-split']}]`,
      helpValue: 'X',
    }),
    'early-stop': Flags.integer({
      description: 'Stop after N epochs without a better validation metric (0: off).',
      helpValue: 'N',
    }),
    seed: Flags.integer({description: `Seed for weights, data order and dropout. [default: ${TRAIN_DEFAULTS.seed}]`}),
    threads: Flags.integer({
      description: 'Compute threads [default: all cores]. Same seed and threads give identical weights.',
    }),
    engine: Flags.string({
      description: `Training engine: ort (ONNX Runtime) or tfjs (TensorFlow.js: tfjs-node if installed, else pure JavaScript). [default: ${TRAIN_DEFAULTS.engine}]`,
      options: ENGINE_NAMES,
    }),
    out: Flags.string({
      description: 'Run directory to create [default: runs/<timestamp>]; never overwritten.',
      helpValue: 'DIR',
    }),
    resume: Flags.directory({
      description: 'Continue the run in DIR from its last checkpoint.',
      helpValue: 'DIR',
      exclusive: ['out'],
    }),
    config: Flags.file({
      description: 'JSON or YAML file of flag values (keys are flag names); flags override it.',
      helpValue: 'FILE',
    }),
    json: Flags.boolean({description: 'Print one JSON object with the run directory and final metrics.'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Train)
    const color = colors()
    const quiet = flags.json
    const num = (name: string, value: string | undefined) => {
      if (value === undefined) return undefined
      const n = Number(value)
      if (value.trim() === '' || !Number.isFinite(n))
        this.error(`--${name} must be a number, got '${value}'`, {exit: 2})
      return n
    }
    const given: Partial<TrainConfig> = {
      dataset: flags.dataset,
      data: flags.data,
      target: flags.target,
      model: flags.model,
      epochs: flags.epochs,
      'batch-size': flags['batch-size'],
      optimizer: flags.optimizer,
      lr: num('lr', flags.lr),
      momentum: num('momentum', flags.momentum),
      'weight-decay': num('weight-decay', flags['weight-decay']),
      'clip-norm': num('clip-norm', flags['clip-norm']),
      schedule: flags.schedule as TrainConfig['schedule'],
      'warmup-epochs': num('warmup-epochs', flags['warmup-epochs']),
      loss: flags.loss,
      'label-smoothing': num('label-smoothing', flags['label-smoothing']),
      'val-split': num('val-split', flags['val-split']),
      'early-stop': flags['early-stop'],
      seed: flags.seed,
      threads: flags.threads,
      engine: flags.engine as TrainConfig['engine'],
      out: flags.out,
    }

    let stopSignal: StopSignal | undefined
    const onSignal = (signal: StopSignal) => {
      if (stopSignal) process.exit(SIGNAL_EXIT[signal]) // a second Ctrl-C: the user does not want to wait for the step
      stopSignal = signal
      process.stderr.write(
        `\n${signal}: finishing the current step and saving checkpoints/last (press Ctrl-C again to quit at once)\n`,
      )
    }
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal)
    const downloads = new DownloadProgress(quiet)
    let progress: EpochProgress | undefined
    try {
      const result = await trainRun({
        flags: given,
        configFile: flags.config,
        resume: flags.resume,
        from: flags.from,
        dataDir: flags['data-dir'],
        mlctlVersion: this.config.version,
        onDownload: (event) => downloads.report(event),
        onWarning: (message) => {
          downloads.stop()
          process.stderr.write(color.yellow(`Warning: ${message}\n`))
        },
        onStart: (start) => {
          downloads.stop()
          if (!quiet) process.stderr.write(describeStart(start, color))
          progress = new EpochProgress(color, start.metric, start.config.epochs)
        },
        onStep: quiet ? undefined : (p) => progress?.step(p),
        onEpoch: quiet ? undefined : (r, best) => progress?.epoch(r, best),
        shouldStop: () => stopSignal !== undefined,
      })
      progress?.stop()
      const last = result.epochs.at(-1)
      if (flags.json) {
        this.log(
          JSON.stringify(
            {
              runDir: result.runDir,
              outcome: result.outcome,
              metric: result.metric,
              best: result.best,
              final: last,
              test: result.test,
            },
            null,
            2,
          ),
        )
      } else if (result.outcome !== 'interrupted') {
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
      }
      if (result.outcome === 'interrupted') {
        process.stderr.write(`Interrupted; checkpoint saved. Resume with: mlctl train --resume ${result.runDir}\n`)
        this.exit(SIGNAL_EXIT[stopSignal ?? 'SIGINT'])
      }
    } finally {
      progress?.stop()
      downloads.stop()
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal)
    }
  }
}

function describeStart(start: TrainRunStart, color: ReturnType<typeof colors>): string {
  const c = start.config
  const data = c.data ? `${c.data} (target ${c.target})` : c.dataset
  const lines = [
    color.bold(`${start.resumedAt ? 'Resuming' : 'Training'} ${start.runDir}`) +
      (start.resumedAt ? ` at epoch ${start.resumedAt.epoch + 1}, step ${start.resumedAt.step}` : ''),
    `  data      ${data}: ${start.dataset.train} train, ${start.dataset.validation} validation, ${start.dataset.test} test (${start.dataset.task})`,
    `  model     ${c.model}: ${start.spec.layers.map((l) => l.type).join(' → ')}`,
    `  training  ${c.epochs} epochs, batch ${c['batch-size']}, ${c.optimizer} lr ${c.lr} (${c.schedule}${c['warmup-epochs'] ? `, warm-up ${c['warmup-epochs']} epochs` : ''}), loss ${c.loss ?? 'default'}, seed ${c.seed}`,
    `  engine    ${start.engine}`,
  ]
  return `${lines.join('\n')}\n`
}

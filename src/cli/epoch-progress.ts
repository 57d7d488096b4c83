import type {ChalkInstance} from 'chalk'
import cliProgress from 'cli-progress'
import type {EpochRecord} from '../core/run/read-run.js'
import type {StepProgress} from '../core/train/training-loop.js'

/**
 * What the training speed counts: images, table rows or texts. A text run also reports tokens/s: the
 * examples/s times its training texts' mean tokens (padding and hashed bigrams not counted), since texts
 * differ in length from one dataset to the next and tokens are what the model reads.
 */
export type ThroughputUnit = {examples: 'img' | 'rows'} | {examples: 'examples'; meanTokens: number}

/** The speed as the epoch line shows it, e.g. `2113 examples/s (101420 tokens/s)` or `1458 img/s`. */
export function formatThroughput(examplesPerSec: number, unit: ThroughputUnit): string {
  const examples = `${Math.round(examplesPerSec)} ${unit.examples}/s`
  return 'meanTokens' in unit ? `${examples} (${Math.round(examplesPerSec * unit.meanTokens)} tokens/s)` : examples
}

/**
 * Training progress on stderr: a cli-progress bar per epoch on a terminal; on a pipe or CI log only
 * the one summary line per epoch (a bar would flood the log).
 */
export class EpochProgress {
  private bar: cliProgress.SingleBar | undefined
  private readonly interactive = Boolean(process.stderr.isTTY)

  constructor(
    private readonly color: ChalkInstance,
    private readonly metricName: string,
    private readonly epochs: number,
    private readonly unit: ThroughputUnit = {examples: 'img'},
  ) {}

  step(p: StepProgress): void {
    if (!this.interactive) return
    if (!this.bar) {
      this.bar = new cliProgress.SingleBar(
        {
          format: ` epoch {epoch} [{bar}] {value}/{total} | loss {loss} | ${this.metricName} {metric} | {speed}`,
          hideCursor: true,
          stream: process.stderr,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      )
      this.bar.start(p.steps, 0, this.values(p))
    }
    this.bar.update(p.step, this.values(p))
  }

  epoch(r: EpochRecord, isBest: boolean): void {
    this.stop()
    const metric = (v: number | undefined) => (v === undefined ? '-' : formatMetric(this.metricName, v))
    const line =
      `epoch ${String(r.epoch).padStart(String(this.epochs).length)}/${this.epochs}` +
      `  loss ${r.trainLoss.toFixed(4)}  ${this.metricName} ${metric(r.trainMetric)}` +
      (r.valLoss === undefined
        ? ''
        : `  val_loss ${r.valLoss.toFixed(4)}  val_${this.metricName} ${metric(r.valMetric)}`) +
      `  ${formatThroughput(r.imagesPerSec, this.unit)}  ${r.seconds.toFixed(1)}s`
    process.stderr.write(`${isBest ? this.color.green(`${line}  ★ best`) : line}\n`)
  }

  stop(): void {
    this.bar?.stop()
    this.bar = undefined
  }

  private values(p: StepProgress) {
    return {
      epoch: p.epoch + 1,
      loss: p.loss.toFixed(4),
      metric: formatMetric(this.metricName, p.metric),
      speed: formatThroughput(p.imagesPerSec, this.unit),
    }
  }
}

export function formatMetric(name: string, value: number): string {
  return name === 'accuracy' ? `${(value * 100).toFixed(2)}%` : value.toFixed(4)
}

import type {ChalkInstance} from 'chalk'
import cliProgress from 'cli-progress'
import type {EpochRecord} from '../core/run/read-run.js'
import type {StepProgress} from '../core/train/training-loop.js'

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
  ) {}

  step(p: StepProgress): void {
    if (!this.interactive) return
    if (!this.bar) {
      this.bar = new cliProgress.SingleBar(
        {
          format: ` epoch {epoch} [{bar}] {value}/{total} | loss {loss} | ${this.metricName} {metric} | {speed} img/s`,
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
      `  ${Math.round(r.imagesPerSec)} img/s  ${r.seconds.toFixed(1)}s`
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
      speed: Math.round(p.imagesPerSec),
    }
  }
}

export function formatMetric(name: string, value: number): string {
  return name === 'accuracy' ? `${(value * 100).toFixed(2)}%` : value.toFixed(4)
}

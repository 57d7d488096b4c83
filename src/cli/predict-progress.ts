import cliProgress from 'cli-progress'

/** predict's progress on stderr: a bar with inputs/s and ETA on a terminal, nothing on a pipe or with --json. */
export class PredictProgress {
  private bar: cliProgress.SingleBar | undefined
  private readonly started = performance.now()
  private readonly interactive = Boolean(process.stderr.isTTY)

  constructor(private readonly quiet: boolean) {}

  report(done: number, total: number): void {
    if (this.quiet || !this.interactive) return
    if (!this.bar) {
      this.bar = new cliProgress.SingleBar(
        {
          format: ' predicting [{bar}] {value}/{total} | {speed}/s | ETA {eta_formatted}',
          hideCursor: true,
          stream: process.stderr,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      )
      this.bar.start(total, 0, {speed: '-'})
    }
    const seconds = (performance.now() - this.started) / 1000
    this.bar.update(done, {speed: seconds > 0 ? Math.round(done / seconds) : '-'})
  }

  stop(): void {
    this.bar?.stop()
    this.bar = undefined
  }
}

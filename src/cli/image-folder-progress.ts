import cliProgress from 'cli-progress'

import type {ImageFolderProgress as Progress, ImageFolderSummary} from '../core/data/index.js'

/**
 * An image folder's decoding on stderr: a bar with images/s and ETA on a terminal, nothing on a pipe (the
 * start-of-run summary says what was decoded and how fast).
 */
export class ImageFolderProgress {
  private bar: cliProgress.SingleBar | undefined
  private phase: Progress['phase'] | undefined
  private started = 0
  private readonly interactive = Boolean(process.stderr.isTTY)

  constructor(private readonly quiet: boolean) {}

  report(event: Progress): void {
    if (this.quiet || !this.interactive) return
    if (event.phase !== this.phase) {
      this.stop()
      this.phase = event.phase
      this.started = performance.now()
      this.bar = new cliProgress.SingleBar(
        {
          format: ` ${event.phase.padEnd(15)} [{bar}] {value}/{total} | {speed} img/s | ETA {eta_formatted}`,
          hideCursor: true,
          stream: process.stderr,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      )
      this.bar.start(event.total, 0, {speed: '-'})
    }
    const seconds = (performance.now() - this.started) / 1000
    this.bar?.update(event.done, {speed: seconds > 0 ? Math.round(event.done / seconds) : '-'})
  }

  stop(): void {
    this.bar?.stop()
    this.bar = undefined
    this.phase = undefined
  }
}

/** The start-of-run lines about an image folder: size, cache, defaults picked, bad files and what was left out. */
export function describeImageFolder(summary: ImageFolderSummary): string[] {
  const {preprocessing: p} = summary
  const count = (n: number) => n.toLocaleString('en-US')
  // a rate over a handful of images says more about start-up than about decoding
  const speed = summary.decoded >= 100 ? `, ${count(Math.round(summary.decoded / summary.seconds))} img/s` : ''
  const lines = [
    `  images    ${count(summary.images)} at ${p.width}×${p.height}, ${p.channels} channel${p.channels === 1 ? '' : 's'}, ${p.resize}; ` +
      `${count(summary.decoded)} decoded, ${count(summary.cached)} from the cache in ${summary.seconds.toFixed(1)} s${speed}`,
  ]
  if (summary.chosen) lines.push(`  picked    ${summary.chosen}`)
  const {skipped} = summary
  if (skipped.count > 0)
    lines.push(
      `  skipped   ${count(skipped.count)} bad file${skipped.count === 1 ? '' : 's'} (--strict stops instead): ` +
        skipped.first.map((file) => `${file.path} ${file.problem}`).join('; ') +
        (skipped.count > skipped.first.length ? '; …' : ''),
    )
  for (const note of summary.notes) lines.push(`  note      ${note}`)
  return lines
}

import cliProgress from 'cli-progress'

import type {DownloadEvent} from '../core/data/index.js'

/** A cli-progress bar per file on a terminal; plain lines on stderr otherwise (CI logs, pipes). */
export class DownloadProgress {
  private readonly bars = new Map<string, cliProgress.SingleBar>()
  private multibar: cliProgress.MultiBar | undefined
  private readonly interactive = Boolean(process.stderr.isTTY)

  constructor(private readonly quiet: boolean) {}

  report(event: DownloadEvent): void {
    if (this.quiet) return
    if (event.type === 'progress') {
      this.bars.get(event.file)?.update(event.received)
      return
    }

    if (event.type === 'start' && this.interactive) {
      this.multibar ??= new cliProgress.MultiBar(
        {
          format: ' {file} [{bar}] {percentage}% | {size} | ETA {eta_formatted}',
          hideCursor: true,
          stream: process.stderr,
        },
        cliProgress.Presets.shades_classic,
      )
      this.bars.get(event.file)?.stop()
      this.bars.set(
        event.file,
        this.multibar.create(event.total, 0, {file: event.file.padEnd(28), size: formatBytes(event.total)}),
      )
      return
    }

    const line =
      event.type === 'start'
        ? `Downloading ${event.file} (${formatBytes(event.total)}) from ${event.url}`
        : event.type === 'cached'
          ? `${event.file}: cached and verified`
          : event.type === 'done'
            ? `${event.file}: downloaded, sha256 verified`
            : `${event.file}: ${event.url} failed (${event.reason})`
    if (this.multibar) this.multibar.log(`${line}\n`)
    else process.stderr.write(`${line}\n`)
  }

  stop(): void {
    this.multibar?.stop()
  }
}

export function formatBytes(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`
}

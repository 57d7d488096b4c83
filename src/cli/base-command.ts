import {Command, Flags} from '@oclif/core'

/**
 * Shared by every mlctl command: a `--verbose` flag and one-line errors.
 * Errors from src/core carry a message written for the user; the stack only helps us,
 * so it is printed only with --verbose.
 */
export abstract class BaseCommand extends Command {
  static baseFlags = {
    verbose: Flags.boolean({description: 'Print stack traces on errors.', helpGroup: 'GLOBAL'}),
  }

  protected async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    // oclif's own errors (bad flags, this.error, this.exit) print and exit the oclif way, on stderr also
    // with --json: oclif would print them as JSON on stdout and exit 1 where bad usage exits 2.
    if (err.oclif) throw err
    // Written directly: oclif's logToStderr is silent with --json, and an error must never be.
    if (this.argv.includes('--verbose')) process.stderr.write(`${err.stack ?? String(err)}\n`)
    process.stderr.write(`Error: ${err.message}\n`)
    this.exit(err.exitCode ?? 1)
  }

  /**
   * Ends the command unsuccessfully while keeping its output: `line` goes to stderr now, and the process exits
   * with `exitCode` once run() returns, after oclif has printed the object run() returns for --json.
   */
  protected failAfterOutput(line: string, exitCode: number): void {
    process.stderr.write(`${line}\n`)
    process.exitCode = exitCode
  }
}

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
    // oclif's own errors (bad flags, this.error, this.exit) already print the oclif way.
    if (err.oclif) return super.catch(err)
    if (this.argv.includes('--verbose')) this.logToStderr(err.stack ?? String(err))
    this.logToStderr(`Error: ${err.message}`)
    this.exit(err.exitCode ?? 1)
  }
}

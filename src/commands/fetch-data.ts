import {BaseCommand} from '../cli/base-command.js'
import {NOT_AVAILABLE_EXIT, notAvailableMessage} from '../cli/not-available.js'

export default class FetchData extends BaseCommand {
  static description = 'Download a standard dataset (with checksums, mirrors and a cache), import local files, or load the embedded sample.'

  async run(): Promise<void> {
    await this.parse(FetchData)
    this.error(notAvailableMessage('fetch-data'), {exit: NOT_AVAILABLE_EXIT})
  }
}

import {BaseCommand} from '../cli/base-command.js'
import {NOT_AVAILABLE_EXIT, notAvailableMessage} from '../cli/not-available.js'

export default class Train extends BaseCommand {
  static description = 'Train a model from a preset or a spec file on a dataset; writes a run directory with the model, checkpoints and metrics.'

  async run(): Promise<void> {
    await this.parse(Train)
    this.error(notAvailableMessage('train'), {exit: NOT_AVAILABLE_EXIT})
  }
}

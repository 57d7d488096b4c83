import {BaseCommand} from '../cli/base-command.js'
import {NOT_AVAILABLE_EXIT, notAvailableMessage} from '../cli/not-available.js'

export default class Evaluate extends BaseCommand {
  static description = 'Evaluate a trained run or an ONNX model on a dataset split: metrics, per-class report, confusion matrix, CI gates.'

  async run(): Promise<void> {
    await this.parse(Evaluate)
    this.error(notAvailableMessage('evaluate'), {exit: NOT_AVAILABLE_EXIT})
  }
}

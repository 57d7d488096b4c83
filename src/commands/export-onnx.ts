import {BaseCommand} from '../cli/base-command.js'
import {NOT_AVAILABLE_EXIT, notAvailableMessage} from '../cli/not-available.js'

export default class ExportOnnx extends BaseCommand {
  static description = 'Export a trained run to a standard ONNX file, verified numerically before it is written.'

  async run(): Promise<void> {
    await this.parse(ExportOnnx)
    this.error(notAvailableMessage('export-onnx'), {exit: NOT_AVAILABLE_EXIT})
  }
}

import {BaseCommand} from '../cli/base-command.js'
import {NOT_AVAILABLE_EXIT, notAvailableMessage} from '../cli/not-available.js'

export default class Serve extends BaseCommand {
  static description = 'Serve ONNX models over HTTP and gRPC (KServe V2 / Open Inference Protocol) with dynamic batching.'

  async run(): Promise<void> {
    await this.parse(Serve)
    this.error(notAvailableMessage('serve'), {exit: NOT_AVAILABLE_EXIT})
  }
}

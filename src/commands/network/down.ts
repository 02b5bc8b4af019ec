import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {downNetwork, type DownNetworkResult} from '../../network/stop-network.js'

export default class NetworkDown extends MedrecCommand {
  async run(): Promise<DownNetworkResult> {
    const {flags} = await this.parse(NetworkDown)
    const result = await downNetwork(this.dockerNetwork(flags))
    this.log(
      result.stopped.length > 0 ? `Stopped ${result.stopped.join(', ')}.` : `Network "${result.name}" was not running.`,
    )
    return result
  }
}

describeCommand(NetworkDown, import.meta.url)

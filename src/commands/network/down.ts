import {MedrecCommand} from '../../base-command.js'
import {downNetwork, type DownNetworkResult} from '../../network/stop-network.js'

export default class NetworkDown extends MedrecCommand {
  static override summary = 'Stop the network, keeping every block.'
  static override description =
    'Stops the vote reconciler, then every node gracefully (geth writes its state to disk); containers, ' +
    'volumes and keys stay. `medrec network up` resumes the same chain. ' +
    'A throwaway network (--profile throwaway) refuses: its chain is in memory and would be lost; destroy it instead.'
  static override examples = ['<%= config.bin %> network down']

  async run(): Promise<DownNetworkResult> {
    const {flags} = await this.parse(NetworkDown)
    const result = await downNetwork(this.dockerNetwork(flags))
    this.log(
      result.stopped.length > 0 ? `Stopped ${result.stopped.join(', ')}.` : `Network "${result.name}" was not running.`,
    )
    return result
  }
}

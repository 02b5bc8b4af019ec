import {Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {confirmDestroy, destroyForceFlag} from '../../cli/confirm-destroy.js'
import {
  destroyNetwork,
  destroyThrowawayNetworks,
  networkExists,
  type DestroyNetworkResult,
  type DestroyThrowawayResult,
} from '../../network/stop-network.js'

export default class NetworkDestroy extends MedrecCommand {
  static override flags = {
    force: destroyForceFlag,
    'all-throwaway': Flags.boolean({
      summary: 'Remove every throwaway network on this Docker engine (not only --dir), without asking.',
    }),
    prefix: Flags.string({
      summary: 'With --all-throwaway: only networks whose name starts with this.',
      dependsOn: ['all-throwaway'],
    }),
  }

  async run(): Promise<DestroyNetworkResult | DestroyThrowawayResult> {
    const {flags} = await this.parse(NetworkDestroy)
    const network = this.dockerNetwork(flags)
    if (flags['all-throwaway']) {
      const result = await destroyThrowawayNetworks({
        engine: network.engine,
        ...(flags.prefix ? {namePrefix: flags.prefix} : {}),
      })
      const r = result.removed
      this.log(
        result.networks.length === 0
          ? 'No throwaway network on this Docker engine.'
          : `Removed ${r.containers} container(s), ${r.volumes} volume(s) and ${r.networks} network(s) of ` +
              `${result.networks.length} throwaway network(s): ${result.networks.join(', ')}.`,
      )
      return result
    }
    if (!flags.force && (await networkExists(network))) {
      await confirmDestroy({
        consequence: 'Destroying the network deletes its chain',
        loss: 'every block of the chain',
        json: this.jsonEnabled(),
      })
    }
    const result = await destroyNetwork(network)
    const r = result.removed
    this.log(
      `Removed ${r.containers} container(s), ${r.volumes} volume(s) and ${r.networks} network(s) of "${result.name}".`,
    )
    return result
  }
}

describeCommand(NetworkDestroy, import.meta.url)

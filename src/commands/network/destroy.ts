import {Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {confirmDestroy, destroyForceFlag} from '../../cli/confirm-destroy.js'
import {
  destroyNetwork,
  destroyThrowawayNetworks,
  networkExists,
  type DestroyNetworkResult,
  type DestroyThrowawayResult,
} from '../../network/stop-network.js'

export default class NetworkDestroy extends MedrecCommand {
  static override summary = "Remove the network's containers, volumes and Docker network: the chain is lost."
  static override description =
    'Keys, medrec.yaml and genesis.json stay, so `medrec network up` ' +
    'starts a new chain with the same sealers. Asks first unless --force.\n' +
    'With --all-throwaway: removes every object of every throwaway network on this Docker engine (labelled ' +
    'org.medrec.profile=throwaway), whatever directory made it, without asking; --prefix narrows it to networks ' +
    'whose name starts with it. Nothing of a standard network is ever touched.'
  static override examples = [
    '<%= config.bin %> network destroy',
    '<%= config.bin %> network destroy --force',
    '<%= config.bin %> network destroy --all-throwaway',
    '<%= config.bin %> network destroy --all-throwaway --prefix ci-4711-',
  ]

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

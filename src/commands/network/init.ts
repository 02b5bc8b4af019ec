import {Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {
  chainIdFlag,
  chainSettings,
  cliqueGenesisFlags,
  keysLightKdfWarning,
  profileFlag,
  throwawayWarning,
  workspaceLightKdfFlag,
} from '../../cli/shared-flags.js'
import {initNetwork, type InitNetworkResult} from '../../network/init-network.js'

export default class NetworkInit extends MedrecCommand {
  static override flags = {
    name: Flags.string({summary: 'Network name (prefixes every Docker object).', default: 'medrec'}),
    sealers: Flags.integer({summary: 'Number of sealers.', default: 3, min: 1, max: 64}),
    'chain-id': chainIdFlag,
    'allow-well-known-chain-id': Flags.boolean({
      summary: 'Allow a chain id of a public network or a dev tool (unsafe).',
    }),
    ...cliqueGenesisFlags,
    // No default: a throwaway network's is 1 s, a standard one's 5 s (initNetwork picks it from the profile).
    period: Flags.integer({
      summary: 'Clique block period in seconds [default: 5; 1 with --profile throwaway].',
      min: 1,
    }),
    'rpc-port': Flags.integer({summary: 'Host port of the RPC node (published on 127.0.0.1).', default: 8545}),
    'light-kdf': workspaceLightKdfFlag,
    profile: profileFlag,
    force: Flags.boolean({char: 'f', summary: 'Rewrite medrec.yaml and genesis.json (keys are kept).'}),
  }

  async run(): Promise<InitNetworkResult> {
    const {flags} = await this.parse(NetworkInit)
    const dir = this.networkDir(flags)
    if (flags.profile === 'throwaway') this.warn(throwawayWarning)
    else if (flags['light-kdf']) this.warn(keysLightKdfWarning)
    const result = await initNetwork({
      dir,
      name: flags.name,
      sealers: flags.sealers,
      ...chainSettings(flags),
      allowWellKnownChainId: flags['allow-well-known-chain-id'],
      rpcPort: flags['rpc-port'],
      lightKdf: flags['light-kdf'],
      profile: flags.profile,
      force: flags.force,
    })
    const profile = result.profile === 'standard' ? '' : `, profile ${result.profile}`
    this.log(`Initialised network in ${result.dir} (chain id ${result.chainId}${profile}).`)
    for (const s of result.sealers) this.log(`  ${s.name}  ${s.address}${s.keyCreated ? '' : '  (existing key kept)'}`)
    this.log(`  deployer  ${result.deployer}`)
    this.log('Keys and passwords are in .medrec/keys: back them up, never commit them.')
    return result
  }
}

describeCommand(NetworkInit, import.meta.url)

import {Args, Flags} from '@oclif/core'

import {joinFlags, MembershipChangeCommand} from '../../cli/membership-change-command.js'
import {voteAsFlag} from '../../cli/shared-flags.js'
import {addProvider, type AddProviderReturnType} from '../../consortium/add-provider.js'
import {describeProviderChange} from '../../consortium/describe-provider-change.js'

export default class ProviderAdd extends MembershipChangeCommand {
  static override summary =
    "Admit a provider to the consortium's whitelist, by a majority " +
    'of the sealing providers; with --sealer, also as a sealer.'
  static override description =
    "Creates the provider's keys and funds its account; then every sealing provider whose key is in this " +
    'directory (or those named with --vote-as) votes on chain to admit it. The change passes with ' +
    "floor(N/2)+1 of the N sealing providers, Clique's own threshold. With --sealer the provider's node is " +
    'also started on this Docker engine and peered, the signers cast their Clique votes once the whitelist ' +
    'vote has passed, and the command waits until the new signer has sealed a block. Where each provider ' +
    'holds only its own keys, the others approve with `medrec provider approve NAME --as THEIR_SEALER`.'
  static override examples = [
    '<%= config.bin %> provider add st-anne --sealer',
    '<%= config.bin %> provider add city-lab',
    '<%= config.bin %> provider add st-anne --sealer --vote-as sealer-1',
  ]
  static override args = {name: Args.string({description: "The provider's name in the consortium.", required: true})}
  static override flags = {
    sealer: Flags.boolean({summary: 'Also run its sealer node and vote it into the Clique signer set.'}),
    'vote-as': voteAsFlag,
    ...joinFlags,
  }

  async run(): Promise<AddProviderReturnType> {
    const {args, flags} = await this.parse(ProviderAdd)
    const result = await this.joinMembership(args.name, flags, (join) =>
      addProvider({...join, sealer: flags.sealer === true, voteAs: flags['vote-as']}),
    )
    this.logLines(describeProviderChange(result))
    return result
  }
}

import {Args} from '@oclif/core'

import {providerVoteFlags, ProviderVoteCommand} from '../../cli/provider-vote-command.js'
import {voteAsFlag} from '../../cli/shared-flags.js'
import {removeProvider, type RemoveProviderReturnType} from '../../consortium/remove-provider.js'
import {removeAsMember, type MemberProviderChangeResult} from '../../member/member-provider-change.js'

export default class ProviderRemove extends ProviderVoteCommand {
  static override summary =
    'Vote a provider off the whitelist and, if it seals, out of the signer set; then stop its node.'
  static override description =
    'The sealing providers whose keys are here (or those named with --vote-as) vote on chain to remove it, ' +
    'and its fellow signers vote it out of Clique. Once it has left the signer set and the others have ' +
    'sealed on, its node and volume are removed and it leaves medrec.yaml. Its keys stay in .medrec/keys. ' +
    "In a member workspace (medrec-member.yaml) it casts only that member's votes, with its own key and node; " +
    'the others approve with `provider approve NAME`, and the deciding vote exports the bundle without it (--out).'
  static override examples = [
    '<%= config.bin %> provider remove st-anne',
    '<%= config.bin %> provider remove st-anne --dir ./mercy --out carenet.bundle.json',
  ]
  static override args = {name: Args.string({description: 'The provider to remove.', required: true})}
  static override flags = {
    'vote-as': voteAsFlag,
    ...providerVoteFlags('Seconds to wait for it to leave.'),
  }

  async run(): Promise<RemoveProviderReturnType | MemberProviderChangeResult> {
    const {args, flags} = await this.parse(ProviderRemove)
    return this.voteOnProvider({
      name: args.name,
      flags,
      // A member workspace votes with its own key; a network workspace with the keys it holds, or --vote-as.
      networkOnlyFlag: {name: '--vote-as', given: Boolean(flags['vote-as'])},
      asMember: removeAsMember,
      asNetwork: () =>
        this.changeMembership(args.name, flags, (change) => removeProvider({...change, voteAs: flags['vote-as']})),
    })
  }
}

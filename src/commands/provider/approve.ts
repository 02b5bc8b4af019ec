import {Args, Flags} from '@oclif/core'

import {providerVoteFlags, ProviderVoteCommand} from '../../cli/provider-vote-command.js'
import {approveProvider, type ApproveProviderReturnType} from '../../consortium/approve-provider.js'
import {UsageError} from '../../errors/usage-error.js'
import {approveAsMember, type MemberProviderChangeResult} from '../../member/member-provider-change.js'

export default class ProviderApprove extends ProviderVoteCommand {
  static override summary =
    "Cast one sealing provider's votes (on chain and in Clique) for the open proposal about a provider."
  static override description =
    'For consortia where each provider holds only its own keys. In a network workspace, `--as` names your sealer, ' +
    'whose key signs the on-chain vote and whose node casts the Clique vote over IPC; when your vote completes the ' +
    'majority, the command waits until the new sealer has sealed a block, or the removed one has left and its node ' +
    "is gone. In a member workspace (medrec-member.yaml) it votes with that member's own key and node, reports " +
    '`awaiting-votes k of n` or `executed`, and once executed exports the bundle with the change (--out).'
  static override examples = [
    '<%= config.bin %> provider approve st-anne --as sealer-2',
    '<%= config.bin %> provider approve st-anne --dir ./mercy --out carenet.bundle.json',
  ]
  static override args = {name: Args.string({description: 'The provider the proposal is about.', required: true})}
  static override flags = {
    as: Flags.string({summary: 'Your sealing provider (its key must be in this network directory).'}),
    ...providerVoteFlags('Seconds to wait for the change to take effect.'),
  }

  async run(): Promise<ApproveProviderReturnType | MemberProviderChangeResult> {
    const {args, flags} = await this.parse(ProviderApprove)
    return this.voteOnProvider({
      name: args.name,
      flags,
      // A member workspace votes as its own provider; a network workspace as --as.
      networkOnlyFlag: {name: '--as', given: Boolean(flags.as)},
      asMember: approveAsMember,
      asNetwork: () => {
        const as = flags.as
        // As when oclif required it: wrong usage in a network workspace.
        if (!as) throw new UsageError('Missing required flag as')
        return this.changeMembership(args.name, flags, (change) => approveProvider({...change, as}))
      },
    })
  }
}

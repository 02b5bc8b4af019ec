import {Args, Flags} from '@oclif/core'

import {describeCommand} from '../../cli/command-help.js'
import {providerVoteFlags, ProviderVoteCommand} from '../../cli/provider-vote-command.js'
import {approveProvider, type ApproveProviderReturnType} from '../../consortium/approve-provider.js'
import {UsageError} from '../../errors/usage-error.js'
import {approveAsMember, type MemberProviderChangeResult} from '../../member/member-provider-change.js'

export default class ProviderApprove extends ProviderVoteCommand {
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

describeCommand(ProviderApprove, import.meta.url)

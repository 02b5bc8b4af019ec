import {Args} from '@oclif/core'

import {describeCommand} from '../../cli/command-help.js'
import {
  networkVoterFlag,
  providerVoteFlags,
  ProviderVoteCommand,
  requiredInNetwork,
} from '../../cli/provider-vote-command.js'
import {approveProvider, type ApproveProviderReturnType} from '../../consortium/approve-provider.js'
import {approveAsMember, type MemberProviderChangeResult} from '../../member/member-provider-change.js'

export default class ProviderApprove extends ProviderVoteCommand {
  static override args = {name: Args.string({description: 'The provider the proposal is about.', required: true})}
  static override flags = {
    as: networkVoterFlag,
    ...providerVoteFlags('Seconds to wait for the change to take effect.'),
  }

  async run(): Promise<ApproveProviderReturnType | MemberProviderChangeResult> {
    // A member workspace votes as its own provider; a network workspace as --as.
    return this.voteOnProvider(ProviderApprove, {
      asMember: approveAsMember,
      asNetwork: (change, flags) => approveProvider({...change, as: requiredInNetwork(flags.as, 'as')}),
    })
  }
}

describeCommand(ProviderApprove, import.meta.url)

import {Args} from '@oclif/core'

import {describeCommand} from '../../cli/command-help.js'
import {networkVoterFlag, ProviderVoteCommand, requiredInNetwork} from '../../cli/provider-vote-command.js'
import {describeProviderVoteWithdrawal, type ProviderVoteWithdrawal} from '../../consortium/provider-vote-withdrawal.js'
import {withdrawProviderVote} from '../../consortium/withdraw-provider-vote.js'
import {withdrawAsMember} from '../../member/member-provider-change.js'

export default class ProviderWithdraw extends ProviderVoteCommand {
  static override args = {name: Args.string({description: 'The provider the proposal is about.', required: true})}
  static override flags = {as: networkVoterFlag}

  async run(): Promise<ProviderVoteWithdrawal> {
    const {args, flags} = await this.parse(ProviderWithdraw)
    // A member workspace withdraws its own votes; a network workspace those of --as.
    return this.inEitherWorkspace(flags, {
      asMember: (dir) => withdrawAsMember({dir, engine: this.dockerEngine(), name: args.name}),
      describeMember: describeProviderVoteWithdrawal,
      asNetwork: () =>
        withdrawProviderVote({...this.dockerNetwork(flags), name: args.name, as: requiredInNetwork(flags.as, 'as')}),
      describeNetwork: describeProviderVoteWithdrawal,
    })
  }
}

describeCommand(ProviderWithdraw, import.meta.url)

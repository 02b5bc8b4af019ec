import {Args} from '@oclif/core'

import {describeCommand} from '../../cli/command-help.js'
import {providerVoteFlags, ProviderVoteCommand} from '../../cli/provider-vote-command.js'
import {voteAsFlag} from '../../cli/shared-flags.js'
import {removeProvider, type RemoveProviderReturnType} from '../../consortium/remove-provider.js'
import {removeAsMember, type MemberProviderChangeResult} from '../../member/member-provider-change.js'

export default class ProviderRemove extends ProviderVoteCommand {
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

describeCommand(ProviderRemove, import.meta.url)

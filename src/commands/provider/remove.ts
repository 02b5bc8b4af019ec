import {Args} from '@oclif/core'

import {describeCommand} from '../../cli/command-help.js'
import {providerVoteFlags, ProviderVoteCommand} from '../../cli/provider-vote-command.js'
import {voteAsFlag} from '../../cli/shared-flags.js'
import {removeProvider, type RemoveProviderReturnType} from '../../consortium/remove-provider.js'
import {removeAsMember, type MemberProviderChangeResult} from '../../member/member-provider-change.js'

export default class ProviderRemove extends ProviderVoteCommand {
  static override args = {name: Args.string({description: 'The provider to remove.', required: true})}
  static override networkOnlyFlag = 'vote-as'
  static override flags = {
    'vote-as': voteAsFlag,
    ...providerVoteFlags('Seconds to wait for it to leave.'),
  }

  async run(): Promise<RemoveProviderReturnType | MemberProviderChangeResult> {
    // A member workspace votes with its own key; a network workspace with the keys it holds, or --vote-as.
    return this.voteOnProvider(ProviderRemove, {
      asMember: removeAsMember,
      asNetwork: (change, flags) => removeProvider({...change, voteAs: flags['vote-as']}),
    })
  }
}

describeCommand(ProviderRemove, import.meta.url)

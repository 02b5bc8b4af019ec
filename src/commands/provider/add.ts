import {Flags} from '@oclif/core'

import {describeCommand} from '../../cli/command-help.js'
import {joinFlags, MembershipChangeCommand} from '../../cli/membership-change-command.js'
import {newProviderNameArg, voteAsFlag} from '../../cli/shared-flags.js'
import {addProvider, type AddProviderReturnType} from '../../consortium/add-provider.js'
import {describeProviderChange} from '../../consortium/describe-provider-change.js'

export default class ProviderAdd extends MembershipChangeCommand {
  static override args = {name: newProviderNameArg}
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

describeCommand(ProviderAdd, import.meta.url)

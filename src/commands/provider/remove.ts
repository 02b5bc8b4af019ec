import {Args} from '@oclif/core'

import {MembershipChangeCommand} from '../../cli/membership-change-command.js'
import {membershipTimeoutFlag, voteAsFlag} from '../../cli/shared-flags.js'
import {removeProvider, type RemoveProviderReturnType} from '../../consortium/remove-provider.js'
import {describeProviderChange} from '../../consortium/describe-provider-change.js'

export default class ProviderRemove extends MembershipChangeCommand {
  static override summary =
    'Vote a provider off the whitelist and, if it seals, out of the signer set; then stop its node.'
  static override description =
    'The sealing providers whose keys are here (or those named with --vote-as) vote on chain to remove it, ' +
    'and its fellow signers vote it out of Clique. Once it has left the signer set and the others have ' +
    'sealed on, its node and volume are removed and it leaves medrec.yaml. Its keys stay in .medrec/keys.'
  static override examples = ['<%= config.bin %> provider remove st-anne']
  static override args = {name: Args.string({description: 'The provider to remove.', required: true})}
  static override flags = {
    'vote-as': voteAsFlag,
    timeout: membershipTimeoutFlag('Seconds to wait for it to leave.'),
  }

  async run(): Promise<RemoveProviderReturnType> {
    const {args, flags} = await this.parse(ProviderRemove)
    const result = await this.changeMembership(args.name, flags, (change) =>
      removeProvider({...change, voteAs: flags['vote-as']}),
    )
    this.logLines(describeProviderChange(result))
    return result
  }
}

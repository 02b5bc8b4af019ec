import {Args, Flags} from '@oclif/core'

import {MembershipChangeCommand} from '../../cli/membership-change-command.js'
import {membershipTimeoutFlag} from '../../cli/shared-flags.js'
import {approveProvider, type ApproveProviderReturnType} from '../../consortium/approve-provider.js'
import {describeProviderChange} from '../../consortium/describe-provider-change.js'

export default class ProviderApprove extends MembershipChangeCommand {
  static override summary =
    "Cast one sealing provider's votes (on chain and in Clique) for the open proposal about a provider."
  static override description =
    'For consortia where each provider holds only its own keys: `--as` names your sealer, whose key signs the ' +
    'on-chain vote and whose node casts the Clique vote over IPC. When your vote completes the majority, the ' +
    'command waits until the new sealer has sealed a block, or the removed one has left and its node is gone.'
  static override examples = ['<%= config.bin %> provider approve st-anne --as sealer-2']
  static override args = {name: Args.string({description: 'The provider the proposal is about.', required: true})}
  static override flags = {
    as: Flags.string({summary: 'Your sealing provider (its key must be in this directory).', required: true}),
    timeout: membershipTimeoutFlag('Seconds to wait for the change to take effect.'),
  }

  async run(): Promise<ApproveProviderReturnType> {
    const {args, flags} = await this.parse(ProviderApprove)
    const result = await this.changeMembership(args.name, flags, (change) => approveProvider({...change, as: flags.as}))
    this.logLines(describeProviderChange(result))
    return result
  }
}

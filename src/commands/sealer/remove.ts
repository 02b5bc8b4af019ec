import {Args} from '@oclif/core'

import {describeCommand} from '../../cli/command-help.js'
import {MembershipChangeCommand} from '../../cli/membership-change-command.js'
import {membershipTimeoutFlag} from '../../cli/shared-flags.js'
import {removeSealer, type RemoveSealerResult} from '../../sealers/sealer-membership.js'

export default class SealerRemove extends MembershipChangeCommand {
  static override args = {name: Args.string({description: 'The sealer to remove.', required: true})}
  static override flags = {timeout: membershipTimeoutFlag('Seconds to wait for it to leave.')}

  async run(): Promise<RemoveSealerResult> {
    const {args, flags} = await this.parse(SealerRemove)
    const result = await this.changeMembership(args.name, flags, removeSealer)
    if (result.status === 'removed')
      this.log(`${result.name} left the signers; ${result.signers.length} signers seal on (block ${result.headAfter}).`)
    else
      this.log(
        `${result.votesFrom.length} of the ${result.votesNeeded} Clique votes needed to ` +
          `remove ${result.name} were cast here; its node keeps running until it has left.`,
      )
    return result
  }
}

describeCommand(SealerRemove, import.meta.url)

import {Args} from '@oclif/core'

import {describeCommand} from '../../cli/command-help.js'
import {joinFlags, MembershipChangeCommand} from '../../cli/membership-change-command.js'
import {addSealer, type AddSealerResult} from '../../sealers/sealer-membership.js'

export default class SealerAdd extends MembershipChangeCommand {
  static override args = {name: Args.string({description: "The new sealer's name.", required: true})}
  static override flags = joinFlags

  async run(): Promise<AddSealerResult> {
    const {args, flags} = await this.parse(SealerAdd)
    const result = await this.joinMembership(args.name, flags, addSealer)
    if (result.status === 'signing')
      this.log(
        `${result.name} (${result.address}) is a signer and sealed block ` +
          `${result.firstSealedBlock}; ${result.signers.length} signers now.`,
      )
    else
      this.log(
        `${result.name} (${result.address}) runs; ${result.votesFrom.length} of the ` +
          `${result.votesNeeded} Clique votes it needs were cast here. Each other signer ` +
          `runs \`medrec sealer propose ${result.address} --add --from ITS_SEALER\`.`,
      )
    return result
  }
}

describeCommand(SealerAdd, import.meta.url)

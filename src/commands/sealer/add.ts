import {Args} from '@oclif/core'

import {joinFlags, MembershipChangeCommand} from '../../cli/membership-change-command.js'
import {addSealer, type AddSealerResult} from '../../sealers/sealer-membership.js'

export default class SealerAdd extends MembershipChangeCommand {
  static override summary = 'Add a sealer node to the running network and vote it into the signer set.'
  static override description =
    'For a provider joining the consortium use `medrec provider add NAME --sealer`, which also puts it on the ' +
    'whitelist; this command changes the signer set only. Creates its keys, adds it to medrec.yaml, starts its ' +
    'node and introduces it to the running nodes, has every current signer vote it in (votes are recorded and ' +
    're-issued after restarts), and waits until it is a signer and has sealed a block. Where each provider ' +
    'holds only its own keys, run `medrec sealer propose ADDRESS --add --from YOUR_SEALER` on each instead.'
  static override examples = ['<%= config.bin %> sealer add st-anne']
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

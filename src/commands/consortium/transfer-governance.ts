import {Args} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {sealingProviderAsFlag} from '../../cli/shared-flags.js'
import {describeConsortiumVote} from '../../consortium/describe-consortium-vote.js'
import {transferGovernance, type TransferGovernanceReturnType} from '../../consortium/transfer-governance.js'

export default class ConsortiumTransferGovernance extends MedrecCommand {
  static override summary = "Vote to hand the Registrar's governance to a successor contract."
  static override description =
    'Casts the vote of one sealing provider (--as) for Consortium.voteTransferGovernance. When a majority has voted, ' +
    'the Registrar names NEXT its pending governance; the Consortium keeps governing until NEXT calls ' +
    'Registrar.acceptGovernance. NEXT must be a contract. The zero address cancels a pending handover.'
  static override examples = [
    '<%= config.bin %> consortium transfer-governance 0x5B38Da6a701c568545dCfcB03FcB875f56beddC4 --as sealer-1',
  ]
  static override args = {next: Args.string({description: 'Address of the successor contract.', required: true})}
  static override flags = {as: sealingProviderAsFlag}

  async run(): Promise<TransferGovernanceReturnType> {
    const {args, flags} = await this.parse(ConsortiumTransferGovernance)
    const result = await transferGovernance({dir: this.networkDir(flags), next: args.next, as: flags.as})
    this.logLines(describeConsortiumVote(result))
    return result
  }
}

import {Args} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {sealingProviderAsFlag} from '../../cli/shared-flags.js'
import {describeConsortiumVote} from '../../consortium/describe-consortium-vote.js'
import {transferGovernance, type TransferGovernanceReturnType} from '../../consortium/transfer-governance.js'

export default class ConsortiumTransferGovernance extends MedrecCommand {
  static override args = {next: Args.string({description: 'Address of the successor contract.', required: true})}
  static override flags = {as: sealingProviderAsFlag}

  async run(): Promise<TransferGovernanceReturnType> {
    const result = await this.serve(ConsortiumTransferGovernance, transferGovernance)
    this.logLines(describeConsortiumVote(result))
    return result
  }
}

describeCommand(ConsortiumTransferGovernance, import.meta.url)

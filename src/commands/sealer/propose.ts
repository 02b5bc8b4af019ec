import {Args, Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {proposeSealerVote, type VoteReport} from '../../sealers/clique-votes.js'

export default class SealerPropose extends MedrecCommand {
  static override args = {address: Args.string({description: 'The signer to add or remove.', required: true})}
  static override flags = {
    add: Flags.boolean({summary: 'Vote to add the address to the signers.', exactlyOne: ['add', 'remove']}),
    remove: Flags.boolean({summary: 'Vote to remove the address from the signers.'}),
    from: Flags.string({summary: 'Cast it only from this sealer (repeatable; default: every sealer).', multiple: true}),
  }

  async run(): Promise<VoteReport> {
    const {args, flags} = await this.parse(SealerPropose)
    const report = await proposeSealerVote({
      ...this.dockerNetwork(flags),
      address: args.address,
      authorize: flags.add === true,
      ...(flags.from ? {from: flags.from} : {}),
    })
    this.log(
      `Voted to ${report.authorize ? 'add' : 'remove'} ${report.address} from ${report.castBy.join(', ')}; ` +
        `it passes with ${report.votesNeeded} of ${report.signers.length} signers.`,
    )
    if (report.notRunning.length > 0)
      this.log(`Not running (they vote when \`medrec network up\` starts them): ${report.notRunning.join(', ')}`)
    return report
  }
}

describeCommand(SealerPropose, import.meta.url)

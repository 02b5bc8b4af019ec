import {Args} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {discardSealerVote} from '../../sealers/clique-votes.js'

export default class SealerDiscard extends MedrecCommand {
  static override args = {address: Args.string({description: 'The address voted on.', required: true})}

  async run(): Promise<Awaited<ReturnType<typeof discardSealerVote>>> {
    const {args, flags} = await this.parse(SealerDiscard)
    const result = await discardSealerVote({...this.dockerNetwork(flags), address: args.address})
    this.log(`Discarded the vote on ${result.address} on ${result.discardedOn.join(', ') || 'no running sealer'}.`)
    return result
  }
}

describeCommand(SealerDiscard, import.meta.url)

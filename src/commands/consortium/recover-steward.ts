import {Args, Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {sealingProviderAsFlag} from '../../cli/shared-flags.js'
import {describeConsortiumVote} from '../../consortium/describe-consortium-vote.js'
import {recoverSteward, type RecoverStewardReturnType} from '../../consortium/recover-steward.js'

export default class ConsortiumRecoverSteward extends MedrecCommand {
  static override args = {
    steward: Args.string({
      description: "The provider's name, or the 0x identity of any provider or steward.",
      required: true,
    }),
  }
  static override flags = {
    to: Flags.string({summary: 'The new account: a 0x address or a key name in this directory.', required: true}),
    as: sealingProviderAsFlag,
  }

  async run(): Promise<RecoverStewardReturnType> {
    const result = await this.serve(ConsortiumRecoverSteward, recoverSteward)
    this.logLines(describeConsortiumVote(result))
    return result
  }
}

describeCommand(ConsortiumRecoverSteward, import.meta.url)

import {Args, Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {sealingProviderAsFlag} from '../../cli/shared-flags.js'
import {describeConsortiumVote} from '../../consortium/describe-consortium-vote.js'
import {recoverSteward, type RecoverStewardReturnType} from '../../consortium/recover-steward.js'

export default class ConsortiumRecoverSteward extends MedrecCommand {
  static override summary = 'Vote to move a provider or other steward whose key was lost or stolen to a new account.'
  static override description =
    'Casts the vote of one sealing provider (--as, whose key is in this directory) for ' +
    'Consortium.voteRecoverSteward; ' +
    'the move happens when floor(N/2)+1 of the N sealing providers have voted, each running this command with its ' +
    'own --as. A sealing provider cannot be recovered in place (its account is its Clique signer): remove it ' +
    '(`medrec provider remove`), recover it, and add it again with `medrec provider add NAME --sealer`.'
  static override examples = [
    '<%= config.bin %> consortium recover-steward city-clinic --to city-clinic-new --as sealer-1',
    '<%= config.bin %> consortium recover-steward city-clinic --to 0x5B38Da6a701c568545dCfcB03FcB875f56beddC4 ' +
      '--as sealer-2 --json',
  ]
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
    const {args, flags} = await this.parse(ConsortiumRecoverSteward)
    const dir = this.networkDir(flags)
    const result = await recoverSteward({dir, steward: args.steward, to: flags.to, as: flags.as})
    this.logLines(describeConsortiumVote(result))
    return result
  }
}

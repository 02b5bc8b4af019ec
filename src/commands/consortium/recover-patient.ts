import {Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {participantIdentity, participantIdentityFlags, sealingProviderAsFlag} from '../../cli/shared-flags.js'
import {describeConsortiumVote} from '../../consortium/describe-consortium-vote.js'
import {recoverPatient, type RecoverPatientReturnType} from '../../consortium/recover-patient.js'

export default class ConsortiumRecoverPatient extends MedrecCommand {
  static override summary =
    "Vote to start recovering a patient who lost its key; the patient's current key can cancel it."
  static override description =
    'Casts the vote of one sealing provider (--as) for Consortium.voteRecoverPatient. When a majority has voted, a ' +
    "recovery to --to starts: the new key may complete it only after the Registrar's governance delay (7 days, or " +
    "the patient's longer guardian delay), and until then the patient's current key can cancel it. A patient who " +
    'refused recovery by the consortium cannot be recovered this way.'
  static override examples = [
    '<%= config.bin %> consortium recover-patient --local-id MRN-0042 --provider mercy --to alice-new --as sealer-1',
  ]
  static override flags = {
    ...participantIdentityFlags,
    to: Flags.string({
      summary: "The patient's new account: a 0x address or a key name in this directory.",
      required: true,
    }),
    as: sealingProviderAsFlag,
  }

  async run(): Promise<RecoverPatientReturnType> {
    const {flags} = await this.parse(ConsortiumRecoverPatient)
    const result = await recoverPatient({
      dir: this.networkDir(flags),
      patient: participantIdentity(flags),
      to: flags.to,
      as: flags.as,
    })
    this.logLines(describeConsortiumVote(result))
    return result
  }
}

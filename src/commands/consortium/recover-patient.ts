import {Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {participantIdentity, participantIdentityFlags, sealingProviderAsFlag} from '../../cli/shared-flags.js'
import {describeConsortiumVote} from '../../consortium/describe-consortium-vote.js'
import {recoverPatient, type RecoverPatientReturnType} from '../../consortium/recover-patient.js'

export default class ConsortiumRecoverPatient extends MedrecCommand {
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

describeCommand(ConsortiumRecoverPatient, import.meta.url)

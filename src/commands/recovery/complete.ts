import {Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {asFlag, recoveryPatientArg} from '../../cli/shared-flags.js'
import {completeRecovery, type CompleteRecoveryResult} from '../../registrar/complete-recovery.js'

export default class RecoveryComplete extends MedrecCommand {
  static override args = {patient: recoveryPatientArg}
  static override flags = {
    as: asFlag,
    relayer: Flags.string({summary: "A key of this directory that sends the new key's signed completion."}),
  }

  async run(): Promise<CompleteRecoveryResult> {
    const r = await this.serve(RecoveryComplete, completeRecovery)
    const relayed = r.relayedBy ? `, relayed by ${r.relayedBy}` : ''
    this.log(`Patient ${r.patient} now answers to ${r.account} (was ${r.previousAccount}${relayed}).`)
    return r
  }
}

describeCommand(RecoveryComplete, import.meta.url)

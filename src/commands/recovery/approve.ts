import {Args} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {asFlag, recoveryPatientArg} from '../../cli/shared-flags.js'
import {approveRecovery, type ApproveRecoveryResult} from '../../registrar/approve-recovery.js'

export default class RecoveryApprove extends MedrecCommand {
  static override args = {
    patient: recoveryPatientArg,
    // Shown as NEW_ACCOUNT in help and messages.
    new_account: Args.string({
      description: 'The account the patient moves to: a key name or a 0x address.',
      required: true,
    }),
  }
  static override flags = {as: asFlag}

  async run(): Promise<ApproveRecoveryResult> {
    const r = await this.serve(RecoveryApprove, approveRecovery)
    this.log(`Approved moving ${r.patient} to ${r.newAccount} (${r.approvals} of ${r.threshold}).`)
    if (r.replaced) this.log(`This replaced the pending recovery to ${r.replaced}.`)
    if (r.started) {
      this.log(`The recovery started; the new key can complete it from ${r.readyAt} unless the patient cancels it.`)
    }
    return r
  }
}

describeCommand(RecoveryApprove, import.meta.url)

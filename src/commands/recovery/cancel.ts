import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {asFlag} from '../../cli/shared-flags.js'
import {cancelRecovery, type CancelRecoveryResult} from '../../registrar/cancel-recovery.js'

export default class RecoveryCancel extends MedrecCommand {
  static override flags = {as: asFlag}

  async run(): Promise<CancelRecoveryResult> {
    const r = await this.serve(RecoveryCancel, cancelRecovery)
    this.log(
      r.cancelled
        ? `Cancelled the recovery of ${r.patient} to ${r.cancelled}; every approval lapsed.`
        : `No recovery of ${r.patient} was pending; every approval given so far lapsed.`,
    )
    return r
  }
}

describeCommand(RecoveryCancel, import.meta.url)

import {MedrecCommand} from '../../base-command.js'
import {asFlag} from '../../cli/shared-flags.js'
import {cancelRecovery, type CancelRecoveryResult} from '../../registrar/cancel-recovery.js'

export default class RecoveryCancel extends MedrecCommand {
  static override summary = 'As the patient, with your current key, cancel a pending recovery and void every approval.'
  static override examples = ['<%= config.bin %> recovery cancel --as alice']
  static override flags = {as: asFlag}

  async run(): Promise<CancelRecoveryResult> {
    const {flags} = await this.parse(RecoveryCancel)
    const r = await cancelRecovery({dir: this.networkDir(flags), as: flags.as})
    this.log(
      r.cancelled
        ? `Cancelled the recovery of ${r.patient} to ${r.cancelled}; every approval lapsed.`
        : `No recovery of ${r.patient} was pending; every approval given so far lapsed.`,
    )
    return r
  }
}

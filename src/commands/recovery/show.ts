import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {describeRecoverySetup} from '../../cli/describe-recovery-setup.js'
import {recoveryPatientArg} from '../../cli/shared-flags.js'
import {showRecovery, type ShowRecoveryResult} from '../../registrar/show-recovery.js'

export default class RecoveryShow extends MedrecCommand {
  static override args = {patient: recoveryPatientArg}

  async run(): Promise<ShowRecoveryResult> {
    const r = await this.serve(RecoveryShow, showRecovery)
    const {setup} = r
    this.log(`Patient      ${r.patient}\nAccount      ${r.account}`)
    this.logLines(describeRecoverySetup(setup))
    if (r.pending) {
      const p = r.pending
      const by = p.byGovernance ? 'the consortium' : `guardians ${p.approvedBy.join(', ')}`
      this.log(`Pending      to ${p.newAccount}, started by ${by}`)
      const when = p.ready ? 'ready to complete since' : 'can complete from'
      this.log(`             ${when} ${p.readyAt} (chain time ${r.chainTime})`)
    } else {
      this.log('Pending      none')
    }
    for (const a of r.approvals) {
      if (a.newAccount === r.pending?.newAccount) continue
      this.log(`Approvals    ${a.approvals} of ${setup.threshold} to ${a.newAccount}: ${a.approvedBy.join(', ')}`)
    }
    return r
  }
}

describeCommand(RecoveryShow, import.meta.url)

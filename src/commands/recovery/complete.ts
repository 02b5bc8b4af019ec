import {Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {asFlag, recoveryPatientArg} from '../../cli/shared-flags.js'
import {completeRecovery, type CompleteRecoveryResult} from '../../registrar/complete-recovery.js'

export default class RecoveryComplete extends MedrecCommand {
  static override summary = "As the recovery's new key, complete a pending recovery once its delay is over."
  static override description = [
    'The new key (--as) proves it holds its key: by sending the transaction itself, or with --relayer by signing an',
    "EIP-712 PatientRecovery that the relayer's key sends, so the new key needs no ether.",
  ].join(' ')
  static override examples = [
    '<%= config.bin %> recovery complete 0x…(patient identity) --as alice-new',
    '<%= config.bin %> recovery complete 0x…(patient identity) --as alice-new --relayer mercy',
  ]
  static override args = {patient: recoveryPatientArg}
  static override flags = {
    as: asFlag,
    relayer: Flags.string({summary: "A key of this directory that sends the new key's signed completion."}),
  }

  async run(): Promise<CompleteRecoveryResult> {
    const {args, flags} = await this.parse(RecoveryComplete)
    const r = await completeRecovery({
      dir: this.networkDir(flags),
      patient: args.patient,
      as: flags.as,
      relayer: flags.relayer,
    })
    const relayed = r.relayedBy ? `, relayed by ${r.relayedBy}` : ''
    this.log(`Patient ${r.patient} now answers to ${r.account} (was ${r.previousAccount}${relayed}).`)
    return r
  }
}

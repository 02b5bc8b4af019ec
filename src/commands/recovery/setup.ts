import {Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {describeRecoverySetup} from '../../cli/describe-recovery-setup.js'
import {asFlag, durationFlag} from '../../cli/shared-flags.js'
import {setUpRecovery, type SetUpRecoveryResult} from '../../registrar/set-up-recovery.js'

export default class RecoverySetup extends MedrecCommand {
  static override flags = {
    guardian: Flags.string({
      summary: 'A guardian: a key name or a 0x address. Repeat for each guardian (at most 8).',
      multiple: true,
    }),
    threshold: Flags.integer({summary: 'How many guardians must approve the same new account.'}),
    delay: durationFlag({
      summary: 'How long after the guardians agree the recovery may complete (1d to 90d; default 7d).',
    }),
    'remove-guardians': Flags.boolean({
      summary: 'Remove every guardian: no guardian recovery until you name new ones.',
      exclusive: ['guardian', 'threshold', 'delay'],
    }),
    consortium: Flags.option({
      summary: 'Allow or refuse recovery started by a consortium majority.',
      options: ['allow', 'refuse'] as const,
    })(),
    as: asFlag,
  }

  async run(): Promise<SetUpRecoveryResult> {
    const result = await this.serve(RecoverySetup, setUpRecovery, {guardian: 'guardians', delay: 'delaySeconds'})
    const {setup} = result
    this.log(`Recovery of patient ${result.patient} (${result.account}):`)
    this.logLines(describeRecoverySetup(setup))
    if (result.cancelledRecovery) this.log(`Cancelled the pending recovery to ${result.cancelledRecovery}.`)
    return result
  }
}

describeCommand(RecoverySetup, import.meta.url)

import {Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {describeRecoverySetup} from '../../cli/describe-recovery-setup.js'
import {asFlag, parseDurationSeconds} from '../../cli/shared-flags.js'
import {setUpRecovery, type SetUpRecoveryResult} from '../../registrar/set-up-recovery.js'

export default class RecoverySetup extends MedrecCommand {
  static override summary = 'As the patient, choose who can move your identity to a new key if you lose yours.'
  static override description = [
    'Guardians (at most 8: people or services you trust, by key name or address) approve moving your identity to a',
    'new account; when --threshold of them agree, a recovery starts and can complete after --delay (1d to 90d,',
    'default 7d), completed by the new key itself. Until then your current key can cancel it',
    '(`medrec recovery cancel`).\nEvery set-up names the whole guardian list again; it voids approvals given so far',
    'and cancels a pending recovery.\n--consortium refuse opts out of recovery started by a majority of the',
    "consortium's providers (which completes after at least 7 days, and which you can also cancel); allow opts back",
    'in. It is allowed until you refuse it.',
  ].join(' ')
  static override examples = [
    '<%= config.bin %> recovery setup --guardian bob --guardian carol --guardian 0x… --threshold 2 --delay 7d ' +
      '--as alice',
    '<%= config.bin %> recovery setup --consortium refuse --as alice',
    '<%= config.bin %> recovery setup --remove-guardians --as alice',
  ]
  static override flags = {
    guardian: Flags.string({
      summary: 'A guardian: a key name or a 0x address. Repeat for each guardian (at most 8).',
      multiple: true,
    }),
    threshold: Flags.integer({summary: 'How many guardians must approve the same new account.'}),
    delay: Flags.string({
      summary: 'How long after the guardians agree the recovery may complete (1d to 90d; default 7d).',
    }),
    'remove-guardians': Flags.boolean({
      summary: 'Remove every guardian: no guardian recovery until you name new ones.',
      exclusive: ['guardian', 'threshold', 'delay'],
    }),
    consortium: Flags.string({
      summary: 'Allow or refuse recovery started by a consortium majority.',
      options: ['allow', 'refuse'],
    }),
    as: asFlag,
  }

  async run(): Promise<SetUpRecoveryResult> {
    const {flags} = await this.parse(RecoverySetup)
    const result = await setUpRecovery({
      dir: this.networkDir(flags),
      as: flags.as,
      guardians: flags.guardian,
      threshold: flags.threshold,
      delaySeconds: flags.delay === undefined ? undefined : parseDurationSeconds(flags.delay, '--delay'),
      removeGuardians: flags['remove-guardians'],
      consortium: flags.consortium as 'allow' | 'refuse' | undefined,
    })
    const {setup} = result
    this.log(`Recovery of patient ${result.patient} (${result.account}):`)
    this.logLines(describeRecoverySetup(setup))
    if (result.cancelledRecovery) this.log(`Cancelled the pending recovery to ${result.cancelledRecovery}.`)
    return result
  }
}

import {Flags} from '@oclif/core'

import {MedrecCommand} from '../../../base-command.js'
import {describeCommand} from '../../../cli/command-help.js'
import {auditLogFileFlags, auditLogLocation} from '../../../cli/shared-flags.js'
import {errorCodes} from '../../../errors/error-codes.js'
import {MedrecError} from '../../../errors/medrec-error.js'
import {checkAuditLog, type CheckAuditLogResult} from '../../../gatekeeper/check-audit-log.js'

export default class GatekeeperAuditVerify extends MedrecCommand {
  static override flags = {
    provider: Flags.string({
      summary: 'The provider whose log it is: its default log and key, and its anchors on chain.',
    }),
    ...auditLogFileFlags,
    'skip-mac': Flags.boolean({
      summary: 'Check the hash chain and anchors only (an auditor without the key).',
      exclusive: ['key-file'],
    }),
    'skip-anchors': Flags.boolean({summary: "Do not read the provider's anchors from the chain."}),
    'from-block': Flags.integer({
      summary: 'Ignore anchors before this block (a log deliberately started afresh).',
      min: 0,
    }),
  }

  async run(): Promise<CheckAuditLogResult> {
    const {flags} = await this.parse(GatekeeperAuditVerify)
    const result = await checkAuditLog({
      dir: this.networkDir(flags),
      ...auditLogLocation(flags),
      skipMac: flags['skip-mac'],
      skipAnchors: flags['skip-anchors'],
      fromBlock: flags['from-block'] === undefined ? undefined : BigInt(flags['from-block']),
    })
    if (!result.ok) {
      throw new MedrecError(
        errorCodes.AUDIT_LOG_CORRUPT,
        `The audit log ${result.file} is broken at line ${result.problem?.line}: ${result.problem?.reason}.`,
        {
          details: [
            `${result.entries} lines verified before it; last good hash ${result.lastHash ?? 'none'}`,
            ...result.anchors.map((a) => `anchor of entry ${a.entries} in block ${a.block}: ${a.status}`),
          ],
          hint: 'Keep the file as evidence; restore from a copy whose last hash you trust.',
        },
      )
    }
    const macs = result.macChecked ? 'every MAC valid' : 'MACs not checked'
    const matched = result.anchors.filter((a) => a.status === 'matched')
    const anchors = result.anchorsRead
      ? `${matched.length} anchors matched; ${result.unanchored} entries after the last one are protected by MACs only`
      : 'anchors not checked (give --provider)'
    const last = result.lastHash ?? 'none (empty log)'
    this.log(`${result.file}: ${result.entries} entries, chain intact, ${macs}; ${anchors}; last hash ${last}.`)
    return result
  }
}

describeCommand(GatekeeperAuditVerify, import.meta.url)

import {Flags} from '@oclif/core'

import {MedrecCommand} from '../../../base-command.js'
import {errorCodes} from '../../../errors/error-codes.js'
import {MedrecError} from '../../../errors/medrec-error.js'
import {verifyAuditLog, type AuditLogVerification} from '../../../gatekeeper/audit-log.js'
import {gatekeeperPaths} from '../../../gatekeeper/gatekeeper-files.js'
import {networkPaths} from '../../../network/network-files.js'

export default class GatekeeperAuditVerify extends MedrecCommand {
  static override summary = 'Check a gatekeeper\'s audit log: every line intact and chained to the one before.'
  static override description = 'Recomputes each line\'s hash and its link to the previous line. An edited, deleted, reordered or half-written line is reported with its line number, and the command exits 1. Lines cut off the end leave a shorter valid chain: compare the last hash with one recorded elsewhere.'
  static override examples = ['<%= config.bin %> gatekeeper audit verify --provider mercy', '<%= config.bin %> gatekeeper audit verify --file /var/log/medrec/audit.log']
  static override flags = {
    provider: Flags.string({summary: 'The provider whose default audit log to check.', exactlyOne: ['provider', 'file']}),
    file: Flags.string({summary: 'An audit log file to check.'}),
  }

  async run(): Promise<AuditLogVerification & {file: string}> {
    const {flags} = await this.parse(GatekeeperAuditVerify)
    const file = flags.file ?? gatekeeperPaths(networkPaths(this.networkDir(flags)), flags.provider!).auditLog
    const result = await verifyAuditLog(file)
    if (!result.ok) {
      throw new MedrecError(errorCodes.AUDIT_LOG_CORRUPT, `The audit log ${file} is broken at line ${result.problem?.line}: ${result.problem?.reason}.`, {
        details: [`${result.entries} lines verified before it; last good hash ${result.lastHash ?? 'none'}`],
        hint: 'Keep the file as evidence; restore from a copy whose last hash you trust.',
      })
    }
    this.log(`${file}: ${result.entries} entries, chain intact; last hash ${result.lastHash ?? 'none (empty log)'}.`)
    return {...result, file}
  }
}

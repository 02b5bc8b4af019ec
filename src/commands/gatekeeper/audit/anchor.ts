import {Flags} from '@oclif/core'

import {MedrecCommand} from '../../../base-command.js'
import {describeCommand} from '../../../cli/command-help.js'
import {auditLogFileFlags} from '../../../cli/shared-flags.js'
import {anchorAuditLog, type AnchorAuditLogResult} from '../../../gatekeeper/anchor-audit-log.js'

export default class GatekeeperAuditAnchor extends MedrecCommand {
  static override flags = {
    provider: Flags.string({
      summary: 'The provider whose log to anchor; its account key must be in this directory.',
      required: true,
    }),
    ...auditLogFileFlags,
  }

  async run(): Promise<AnchorAuditLogResult> {
    const result = await this.serve(GatekeeperAuditAnchor, anchorAuditLog)
    this.log(
      result.anchored
        ? `Anchored ${result.file} at entry ${result.entries} (${result.head}) ` +
            `in block ${result.block}, transaction ${result.transactionHash}.`
        : `${result.file} is already anchored at entry ${result.entries} (${result.head}); nothing sent.`,
    )
    return result
  }
}

describeCommand(GatekeeperAuditAnchor, import.meta.url)

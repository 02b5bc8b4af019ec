import {Flags} from '@oclif/core'

import {MedrecCommand} from '../../../base-command.js'
import {auditLogFileFlags, auditLogLocation} from '../../../cli/shared-flags.js'
import {anchorAuditLog, type AnchorAuditLogResult} from '../../../gatekeeper/anchor-audit-log.js'

export default class GatekeeperAuditAnchor extends MedrecCommand {
  static override summary =
    "Anchor the head of a provider's audit log on chain, signed with the provider's account key."
  static override description = [
    'Verifies the log (chain, MACs and earlier anchors), then records its number of lines and the hash of the last one',
    'in the AuditAnchors contract. From then on `gatekeeper audit verify --provider` fails if those lines are cut off',
    'or rewritten, even by someone holding the audit key. A running gatekeeper anchors by itself (see --anchor-every);',
    "this is for a gatekeeper without the provider's key, or an anchor now.",
  ].join(' ')
  static override examples = ['<%= config.bin %> gatekeeper audit anchor --provider mercy']
  static override flags = {
    provider: Flags.string({
      summary: 'The provider whose log to anchor; its account key must be in this directory.',
      required: true,
    }),
    ...auditLogFileFlags,
  }

  async run(): Promise<AnchorAuditLogResult> {
    const {flags} = await this.parse(GatekeeperAuditAnchor)
    const result = await anchorAuditLog({dir: this.networkDir(flags), ...auditLogLocation(flags)})
    this.log(
      result.anchored
        ? `Anchored ${result.file} at entry ${result.entries} (${result.head}) ` +
            `in block ${result.block}, transaction ${result.transactionHash}.`
        : `${result.file} is already anchored at entry ${result.entries} (${result.head}); nothing sent.`,
    )
    return result
  }
}

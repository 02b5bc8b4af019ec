import {Flags} from '@oclif/core'

import {MemberCommand} from '../../cli/member-command.js'
import {outFile} from '../../cli/shared-flags.js'
import {exportBundle, type ExportBundleResult} from '../../member/export-bundle.js'

export default class ConsortiumExport extends MemberCommand {
  static override summary = "Export the consortium bundle as its next revision, signed with this member's key."
  static override description =
    `Re-signs the bundle this member workspace holds with this member's key, as the next revision, stores it, and \
writes it to --out for the other members (and joiners) to import. Only a member may export.`
  static override examples = ['<%= config.bin %> consortium export --out carenet.bundle.json']

  static override flags = {
    out: Flags.string({summary: 'Also write the bundle to this file, to send to the others.'}),
  }

  async run(): Promise<ExportBundleResult> {
    const {flags} = await this.parse(ConsortiumExport)
    const result = await exportBundle({dir: this.networkDir(flags), ...outFile(flags)})
    this.log(`Exported ${result.network} revision ${result.revision}: ${result.out ?? result.bundleFile}`)
    return result
  }
}

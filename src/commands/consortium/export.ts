import {describeCommand} from '../../cli/command-help.js'
import {MemberCommand} from '../../cli/member-command.js'
import {bundleOutFlag} from '../../cli/shared-flags.js'
import {exportBundle, type ExportBundleResult} from '../../member/export-bundle.js'

export default class ConsortiumExport extends MemberCommand {
  static override flags = {out: bundleOutFlag}

  async run(): Promise<ExportBundleResult> {
    const result = await this.serve(ConsortiumExport, exportBundle)
    this.log(`Exported ${result.network} revision ${result.revision}: ${result.out ?? result.bundleFile}`)
    return result
  }
}

describeCommand(ConsortiumExport, import.meta.url)

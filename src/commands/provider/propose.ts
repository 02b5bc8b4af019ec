import {Flags} from '@oclif/core'

import {describeCommand} from '../../cli/command-help.js'
import {MemberCommand} from '../../cli/member-command.js'
import {bundleOutFlag, outFile} from '../../cli/shared-flags.js'
import {
  describeMemberProviderChange,
  proposeJoiner,
  type MemberProviderChangeResult,
} from '../../member/member-provider-change.js'

export default class ProviderPropose extends MemberCommand {
  static override enableJsonFlag = true
  static override flags = {
    card: Flags.string({summary: "The joiner's node card (NAME.card.json).", required: true}),
    out: bundleOutFlag,
  }

  async run(): Promise<MemberProviderChangeResult> {
    const {flags} = await this.parse(ProviderPropose)
    const result = await proposeJoiner({dir: this.networkDir(flags), cardFile: flags.card, ...outFile(flags)})
    this.logLines(describeMemberProviderChange(result))
    return result
  }
}

describeCommand(ProviderPropose, import.meta.url)

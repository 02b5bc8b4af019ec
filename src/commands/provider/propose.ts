import {describeCommand} from '../../cli/command-help.js'
import {MemberCommand} from '../../cli/member-command.js'
import {bundleOutFlag, pathFlag} from '../../cli/shared-flags.js'
import {
  describeMemberProviderChange,
  proposeJoiner,
  type MemberProviderChangeResult,
} from '../../member/member-provider-change.js'

export default class ProviderPropose extends MemberCommand {
  static override enableJsonFlag = true
  static override flags = {
    card: pathFlag({summary: "The joiner's node card (NAME.card.json).", required: true}),
    out: bundleOutFlag,
  }

  async run(): Promise<MemberProviderChangeResult> {
    const result = await this.serve(ProviderPropose, proposeJoiner, {card: 'cardFile'})
    this.logLines(describeMemberProviderChange(result))
    return result
  }
}

describeCommand(ProviderPropose, import.meta.url)

import {Flags} from '@oclif/core'

import {MemberCommand} from '../../cli/member-command.js'
import {outFile} from '../../cli/shared-flags.js'
import {
  describeMemberProviderChange,
  proposeJoiner,
  type MemberProviderChangeResult,
} from '../../member/member-provider-change.js'

export default class ProviderPropose extends MemberCommand {
  static override summary = "Propose a joiner from its node card: this member's votes, and the bundle with it joining."
  static override description =
    `In a member workspace: verifies the joiner's card, casts this member's on-chain vote (its own key, through its \
own RPC node) to admit it as a sealing provider and its Clique vote (its own sealer, over IPC), and exports the \
bundle's next revision with the card under joining. Send that bundle to the joiner (it may then start its node and \
sync) and to the other members, who each run \`medrec provider approve NAME\`.`
  static override examples = ['<%= config.bin %> provider propose --card st-anne.card.json --out carenet.bundle.json']
  static override enableJsonFlag = true
  static override flags = {
    card: Flags.string({summary: "The joiner's node card (NAME.card.json).", required: true}),
    out: Flags.string({summary: 'Also write the refreshed bundle to this file, to send to the others.'}),
  }

  async run(): Promise<MemberProviderChangeResult> {
    const {flags} = await this.parse(ProviderPropose)
    const result = await proposeJoiner({dir: this.networkDir(flags), cardFile: flags.card, ...outFile(flags)})
    this.logLines(describeMemberProviderChange(result))
    return result
  }
}

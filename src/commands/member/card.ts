import {Flags} from '@oclif/core'

import {MemberCommand} from '../../cli/member-command.js'
import {outFile} from '../../cli/shared-flags.js'
import {showMemberCard, type ShowMemberCardResult} from '../../member/member-card.js'

export default class MemberCard extends MemberCommand {
  static override summary = "Show this provider's node card, re-signing it if the workspace changed."
  static override description =
    `The card (NAME.card.json) is public: send it to the consortium's convener, or to a member who proposes this \
provider. It is re-signed and rewritten only when medrec-member.yaml (the advertised address) or the keys no longer \
match it.`
  static override examples = [
    '<%= config.bin %> member card',
    '<%= config.bin %> member card --out /tmp/st-anne.card.json',
  ]

  static override flags = {
    out: Flags.string({summary: 'Also write the card to this file.'}),
  }

  async run(): Promise<ShowMemberCardResult> {
    const {flags} = await this.parse(MemberCard)
    const result = await showMemberCard({dir: this.networkDir(flags), ...outFile(flags)})
    const {card} = result
    this.log(`Card of ${card.name}${result.written ? ' (signed now)' : ''}: ${result.file}`)
    this.log(`  signer   ${card.signer}`)
    this.log(`  node     enode://${card.enode}@${card.host}:${card.port}`)
    this.log(`  issued   ${card.issuedAt}`)
    if (result.out) this.log(`  copy     ${result.out}`)
    return result
  }
}

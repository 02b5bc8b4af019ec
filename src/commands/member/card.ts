import {describeCommand} from '../../cli/command-help.js'
import {MemberCommand} from '../../cli/member-command.js'
import {pathFlag} from '../../cli/shared-flags.js'
import {showMemberCard, type ShowMemberCardResult} from '../../member/member-card.js'

export default class MemberCard extends MemberCommand {
  static override flags = {
    out: pathFlag({summary: 'Also write the card to this file.'}),
  }

  async run(): Promise<ShowMemberCardResult> {
    const result = await this.serve(MemberCard, showMemberCard)
    const {card} = result
    this.log(`Card of ${card.name}${result.written ? ' (signed now)' : ''}: ${result.file}`)
    this.log(`  signer   ${card.signer}`)
    this.log(`  node     enode://${card.enode}@${card.host}:${card.port}`)
    this.log(`  issued   ${card.issuedAt}`)
    if (result.out) this.log(`  copy     ${result.out}`)
    return result
  }
}

describeCommand(MemberCard, import.meta.url)

import {Flags} from '@oclif/core'

import {describeCommand} from '../../cli/command-help.js'
import {MemberCommand} from '../../cli/member-command.js'
import {outFile} from '../../cli/shared-flags.js'
import {showMemberCard, type ShowMemberCardResult} from '../../member/member-card.js'

export default class MemberCard extends MemberCommand {
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

describeCommand(MemberCard, import.meta.url)

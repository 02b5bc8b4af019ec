import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {listProposals, type ListProposalsReturnType} from '../../consortium/list-proposals.js'

export default class ConsortiumProposals extends MedrecCommand {
  async run(): Promise<ListProposalsReturnType> {
    const listing = await this.serve(ConsortiumProposals, listProposals)
    const {consortium, members, threshold} = listing
    this.log(`Consortium ${consortium}: ${members} sealing providers; a proposal passes with ${threshold}.`)
    if (listing.proposals.length === 0) this.log('No open proposals.')
    for (const p of listing.proposals) {
      const subject = p.action === 'transfer-governance' ? "the Registrar's governance" : (p.name ?? p.subject)
      const asSealer = p.action === 'admit' && p.sealer ? ' as a sealer' : ''
      const detail = p.action === 'remove' ? '' : ` → ${p.account}${asSealer}`
      this.log(`  ${p.action} ${subject}${detail}: ${p.votes} of ${p.threshold} votes (${p.votedBy.join(', ')})`)
    }
    return listing
  }
}

describeCommand(ConsortiumProposals, import.meta.url)

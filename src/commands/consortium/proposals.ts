import {MedrecCommand} from '../../base-command.js'
import {listProposals, type ListProposalsReturnType} from '../../consortium/list-proposals.js'

export default class ConsortiumProposals extends MedrecCommand {
  static override summary = 'Open proposals of every kind before the consortium, with their tallies.'
  static override description =
    'Admissions, removals, steward and patient recoveries and governance handovers that have votes and have not ' +
    'passed or lapsed (a change of members makes pending votes lapse), newest first, with who has voted.'
  static override examples = ['<%= config.bin %> consortium proposals', '<%= config.bin %> consortium proposals --json']

  async run(): Promise<ListProposalsReturnType> {
    const {flags} = await this.parse(ConsortiumProposals)
    const listing = await listProposals({dir: this.networkDir(flags)})
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

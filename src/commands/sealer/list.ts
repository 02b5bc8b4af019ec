import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {listSealers, type SealerListing} from '../../sealers/list-sealers.js'

export default class SealerList extends MedrecCommand {
  async run(): Promise<SealerListing> {
    const {flags} = await this.parse(SealerList)
    const listing = await listSealers(this.dockerNetwork(flags))
    this.log(`${listing.signers.length} signers; a vote passes with ${listing.votesNeeded}.`)
    for (const s of listing.sealers) {
      const proposals =
        s.proposals === null
          ? '-'
          : Object.entries(s.proposals)
              .map(([a, add]) => `${add ? '+' : '-'}${a}`)
              .join(' ') || 'none'
      const role = `${s.isSigner ? 'signer' : 'not a signer'}${s.running ? '' : ', stopped'}`
      this.log(`  ${s.name.padEnd(14)} ${s.address}  ${role}  proposals: ${proposals}`)
    }
    for (const v of listing.votes)
      this.log(`Vote to ${v.authorize ? 'add' : 'remove'} ${v.address}, cast by ${v.castBy.join(', ')}`)
    for (const d of listing.drift) this.log(`Drift: ${d}`)
    return listing
  }
}

describeCommand(SealerList, import.meta.url)

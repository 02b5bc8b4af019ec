import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {listProviders, type ListProvidersReturnType} from '../../consortium/list-providers.js'

export default class ProviderList extends MedrecCommand {
  async run(): Promise<ListProvidersReturnType> {
    const listing = await this.serve(ProviderList, listProviders)
    this.log(
      `Consortium ${listing.consortium}: ${listing.members} sealing ` +
        `providers; a change passes with ${listing.threshold}.`,
    )
    for (const p of listing.providers) {
      const role = p.certified ? (p.sealing ? 'whitelisted, sealing provider' : 'whitelisted') : 'off the whitelist'
      const signer = p.signer ? 'Clique signer' : 'not a signer'
      this.log(`  ${(p.name ?? p.id.slice(0, 18)).padEnd(18)} ${p.account}  ${role}; ${signer}`)
    }
    for (const p of listing.pending)
      this.log(
        `Open: ${p.action} ${p.name ?? p.id}${p.sealer ? ' as a sealer' : ''}, ${p.votes} of ${p.threshold} votes`,
      )
    for (const d of listing.drift) this.log(`Drift: ${d}`)
    return listing
  }
}

describeCommand(ProviderList, import.meta.url)

import {getAddress, type Address, type Hex} from 'viem'

import {currentSigners} from '../clique/signers-at.js'
import {openConsortium, type ConsortiumContext} from './consortium-contracts.js'
import {providerNames} from './consortium-votes.js'
import {openProposals} from './list-proposals.js'

export type ListProvidersParameters = {dir: string}

export type ListProvidersReturnType = {
  consortium: Address
  threshold: number
  members: number
  providers: {
    name: string | null
    id: Hex
    account: Address
    certified: boolean
    sealing: boolean
    signer: boolean
    drift: string | null
  }[]
  /** Signers that are not on the whitelist as sealing providers. */
  unknownSigners: Address[]
  /** Open admissions and removals (`medrec consortium proposals` shows every kind). */
  pending: {
    name: string | null
    id: Hex
    action: 'admit' | 'remove'
    account: Address
    sealer: boolean
    votes: number
    threshold: number
  }[]
  drift: string[]
}

/** The whitelist beside the Clique signer set, with every disagreement spelled out. */
export async function listProviders(options: ListProvidersParameters): Promise<ListProvidersReturnType> {
  const context = await openConsortium(options.dir)
  return consortiumView(context)
}

/** Drift between whitelist and signers, for `network status`; null when there is no Consortium. */
export async function consortiumDrift(dir: string): Promise<string[] | null> {
  const context = await openConsortium(dir).catch(() => undefined)
  if (!context) return null
  return (await consortiumView(context)).drift
}

async function consortiumView(context: ConsortiumContext): Promise<ListProvidersReturnType> {
  const {network} = context
  const {consortium, registrar} = context.contracts
  const names = await providerNames(context)
  const [certifiedLogs, signers, threshold, members] = await Promise.all([
    registrar.getEvents.ProviderCertified({}, {fromBlock: 0n}),
    currentSigners(network),
    consortium.read.threshold(),
    consortium.read.memberCount(),
  ])
  const ids = [...new Set(certifiedLogs.map((l) => l.args.id!))]
  const providers: ListProvidersReturnType['providers'] = []
  for (const id of ids) {
    const p = await registrar.read.participant([id])
    const account = getAddress(p.account)
    const sealing = await consortium.read.isMember([id])
    const signer = signers.includes(account)
    const name = names.get(id) ?? null
    const label = name ?? id
    const drift =
      sealing && !signer
        ? `${label} is a sealing provider on the whitelist but not a Clique signer`
        : signer && !sealing
          ? `${label} signs blocks but is not a sealing provider on the whitelist`
          : null
    providers.push({name, id, account, certified: p.certified, sealing, signer, drift})
  }
  const unknownSigners = signers.filter((s) => !providers.some((p) => p.account === s))
  // Recoveries and governance transfers are not provider changes; `provider list` shows only these.
  const pending = (await openProposals(context, names)).flatMap((p) =>
    p.action === 'admit' || p.action === 'remove'
      ? [
          {
            name: p.name,
            id: p.subject,
            action: p.action,
            account: p.account,
            sealer: p.sealer,
            votes: p.votes,
            threshold: Number(threshold),
          },
        ]
      : [],
  )
  const drift = [
    ...providers.flatMap((p) => (p.drift ? [p.drift] : [])),
    ...unknownSigners.map((s) => `${s} signs blocks but is not a provider on the whitelist`),
  ]
  return {
    consortium: context.consortium,
    threshold: Number(threshold),
    members: Number(members),
    providers,
    unknownSigners,
    pending,
    drift,
  }
}

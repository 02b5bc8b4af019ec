import {getAddress, type Address, type Hex} from 'viem'

import {openConsortium, type ConsortiumContext} from './consortium-contracts.js'
import {
  proposalActionName,
  proposalActionNumber,
  proposalVoters,
  providerNames,
  type ProposalAction,
} from './consortium-votes.js'

/** An open proposal of any kind and its tally. */
export type ConsortiumProposal = {
  key: Hex
  action: ProposalAction
  /** The provider, steward or patient identity it is about (for transfer-governance, the governance subject). */
  subject: Hex
  /** The subject's name where this directory knows it (providers named here), else null. */
  name: string | null
  /** The account it names: where a provider is admitted, an identity recovered to, governance handed to
   * (zero for remove). */
  account: Address
  /** For admit: whether the provider joins as a sealing member. */
  sealer: boolean
  votes: number
  threshold: number
  /** Members with a counted vote, by name where known, else identity. */
  votedBy: string[]
}

export type ListProposalsParameters = {dir: string}

export type ListProposalsReturnType = {
  consortium: Address
  members: number
  threshold: number
  /** Newest first. */
  proposals: ConsortiumProposal[]
}

/**
 * Every proposal that still counts: its key is the one the same proposal would have now
 * (no member-set change or execution since made its votes lapse) and it has votes.
 */
export async function openProposals(
  context: ConsortiumContext,
  names: Map<Hex, string>,
): Promise<ConsortiumProposal[]> {
  const {consortium} = context.contracts
  const [logs, threshold] = await Promise.all([
    consortium.getEvents.VoteCast({}, {fromBlock: 0n}),
    consortium.read.threshold(),
  ])
  const proposals: ConsortiumProposal[] = []
  const seen = new Set<Hex>()
  for (const log of logs.reverse()) {
    const {key, subject, action: actionNumber, account, sealer} = log.args
    const action = actionNumber === undefined ? undefined : proposalActionName(actionNumber)
    if (!key || !subject || !account || sealer === undefined || !action || seen.has(key)) continue
    seen.add(key)
    const current = await consortium.read.proposalKey([proposalActionNumber(action), subject, account, sealer])
    if (current !== key) continue // passed, or lapsed with a change of members
    const votes = Number(await consortium.read.votes([key]))
    if (votes === 0) continue // every vote withdrawn
    proposals.push({
      key,
      action,
      subject,
      name: names.get(subject) ?? null,
      account: getAddress(account),
      sealer,
      votes,
      threshold: Number(threshold),
      votedBy: await proposalVoters(context, key, names),
    })
  }
  return proposals
}

/** The Consortium's open proposals of every kind (admissions, removals, recoveries, governance), with tallies. */
export async function listProposals(options: ListProposalsParameters): Promise<ListProposalsReturnType> {
  const context = await openConsortium(options.dir)
  const {consortium} = context.contracts
  const [members, threshold, names] = await Promise.all([
    consortium.read.memberCount(),
    consortium.read.threshold(),
    providerNames(context),
  ])
  return {
    consortium: context.consortium,
    members: Number(members),
    threshold: Number(threshold),
    proposals: await openProposals(context, names),
  }
}

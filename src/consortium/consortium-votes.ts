import {BaseError, ContractFunctionRevertedError, getAddress, zeroHash, type Address, type Hash, type Hex} from 'viem'

import {listAccounts} from '../accounts/accounts.js'
import {explainContractError} from '../contracts/send-contract-transaction.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {deployerKeyName, rpcNodeName} from '../workspace/network-keys.js'
import {
  consortiumWriter,
  type ConsortiumContext,
  type ConsortiumReader,
  type ConsortiumWriter,
} from './consortium-contracts.js'
import {providerIdentity} from './provider-identity.js'

/** The CLI's names of Consortium.Action values, in the contract's order (None, 0, has no name). */
export const proposalActionNames = [
  'admit',
  'remove',
  'recover-steward',
  'recover-patient',
  'transfer-governance',
] as const

export type ProposalAction = (typeof proposalActionNames)[number]

/** The Consortium.Action number of a proposal kind (Admit is 1). */
export function proposalActionNumber(action: ProposalAction): number {
  return proposalActionNames.indexOf(action) + 1
}

/** The CLI's name of a Consortium.Action number (undefined for None or a number this tool does not know). */
export function proposalActionName(action: number): ProposalAction | undefined {
  return proposalActionNames[action - 1]
}

/** The newest admission or removal vote cast about provider `subject` (by `voter`, when named): a VoteCast event. */
export async function newestProviderVote(consortium: ConsortiumReader, filter: {subject: Hex; voter?: Hex}) {
  const admit = proposalActionNumber('admit')
  const remove = proposalActionNumber('remove')
  const logs = await consortium.getEvents.VoteCast(filter, {fromBlock: 0n})
  return logs.filter((l) => l.args.action === admit || l.args.action === remove).at(-1)
}

/** A member of the Consortium whose key is in this directory, with the provider identity it votes as. */
export type LocalMember = {name: string; address: Address; id: Hex}

/**
 * Who may vote on the chain: members of the Consortium whose keys are in this directory,
 * with the provider identity they vote as (membership follows the identity).
 */
export async function localMembers(context: ConsortiumContext): Promise<LocalMember[]> {
  const keys = await listAccounts(context.network.paths)
  const members: LocalMember[] = []
  for (const key of keys) {
    if (key.name === deployerKeyName || key.name === rpcNodeName) continue
    const provider = await context.contracts.consortium.read.memberProvider([key.address])
    if (provider !== zeroHash) members.push({name: key.name, address: key.address, id: provider})
  }
  return members
}

/** The members named in `only` (all of them when undefined); an unknown name is refused. */
export function pickVoters<T extends {name: string}>(members: T[], only: string[] | undefined, what: string): T[] {
  if (only === undefined) return members
  const unknown = only.filter((n) => !members.some((m) => m.name === n))
  if (unknown.length > 0) {
    const message = `${unknown.join(', ')} cannot vote here: not a sealing provider whose key is in this directory.`
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, message, {
      hint: `${what}: ${members.map((m) => m.name).join(', ') || 'none'}. See \`medrec provider list\`.`,
    })
  }
  return members.filter((m) => only.includes(m.name))
}

/**
 * The one member named by `--as`: a key of this directory (else INVALID_ARGUMENT) whose
 * account votes as a member identity (else NOT_CONSORTIUM_MEMBER, before anything is sent).
 */
export async function requireVoter(context: ConsortiumContext, name: string): Promise<LocalMember> {
  const key = (await listAccounts(context.network.paths)).find((a) => a.name === name)
  if (!key || key.name === deployerKeyName || key.name === rpcNodeName) {
    const message = `--as "${name}" is not a provider's key in this network directory.`
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, message, {
      hint: 'Name your sealing provider, whose key is in .medrec/keys (see `medrec provider list`).',
    })
  }
  const id = await context.contracts.consortium.read.memberProvider([key.address])
  if (id === zeroHash) {
    const message = `${name} (${key.address}) is not a voting member of the consortium.`
    throw new MedrecError(errorCodes.NOT_CONSORTIUM_MEMBER, message, {
      hint: 'Only sealing providers vote; see `medrec provider list` for who they are.',
    })
  }
  return {name, address: key.address, id}
}

/** Names for provider identities: every sealer and key of this directory, as `provider add` derives them. */
export async function providerNames(context: ConsortiumContext): Promise<Map<Hex, string>> {
  const names = new Map<Hex, string>()
  const keys = await listAccounts(context.network.paths)
  for (const name of [...context.network.config.sealers.map((s) => s.name), ...keys.map((a) => a.name)]) {
    names.set(providerIdentity(name), name)
  }
  return names
}

/**
 * One member's vote, signed with its own key and mined. A refusal by the contract becomes
 * a MedrecError naming the contract's error; `onRevert` may turn a specific one into a
 * more helpful error of its own.
 */
export async function sendVote(
  context: ConsortiumContext,
  voter: string,
  action: string,
  vote: (consortium: ConsortiumWriter) => Promise<Hash>,
  onRevert?: (errorName: string, cause: BaseError) => MedrecError | undefined,
): Promise<Hash> {
  const {consortium, walletClient} = await consortiumWriter(context, voter)
  const what = `vote as ${voter} to ${action}`
  try {
    const hash = await vote(consortium)
    const receipt = await context.publicClient.waitForTransactionReceipt({hash, timeout: 120_000})
    if (receipt.status !== 'success') {
      throw new MedrecError(errorCodes.CONTRACT_REVERTED, `Could not ${what}: transaction ${hash} reverted.`, {
        hint: 'Run the command again to see the reason.',
      })
    }
    return hash
  } catch (error) {
    if (error instanceof BaseError && onRevert) {
      const revert = error.walk((e) => e instanceof ContractFunctionRevertedError)
      const name = revert instanceof ContractFunctionRevertedError ? revert.data?.errorName : undefined
      const specific = name === undefined ? undefined : onRevert(name, error)
      if (specific) throw specific
    }
    throw explainContractError(error, what, walletClient.account.address)
  }
}

/** A proposal's votes: how many are in, how many pass it, and whether it has. */
export type Tally = {votes: number; threshold: number; passed: boolean; transactions: Hash[]}

/** Casts each voter's on-chain vote (skipping those already counted) until the proposal passes. */
export async function castVotes(
  context: ConsortiumContext,
  voters: LocalMember[],
  key: () => Promise<Hex>,
  passed: () => Promise<boolean>,
  vote: (voter: string) => Promise<Hash>,
): Promise<Tally & {votedBy: string[]}> {
  const {consortium} = context.contracts
  const transactions: Hash[] = []
  const votedBy: string[] = []
  for (const voter of voters) {
    if (await passed()) break
    const already = await consortium.read.hasVoted([await key(), voter.id])
    if (!already) transactions.push(await vote(voter.name))
    votedBy.push(voter.name)
  }
  const isPassed = await passed()
  const [votes, threshold] = await Promise.all([consortium.read.votes([await key()]), consortium.read.threshold()])
  return {
    votes: isPassed ? Number(threshold) : Number(votes),
    threshold: Number(threshold),
    passed: isPassed,
    transactions,
    votedBy,
  }
}

/** Where a single member's vote on a proposal left it. */
export type ConsortiumVoteOutcome = {
  /** executed: the proposal has passed and taken effect; awaiting-votes: other members must vote too. */
  status: 'awaiting-votes' | 'executed'
  /** The proposal's key in the Consortium (it changes with the member set and after each execution). */
  key: Hex
  /** Votes counted for it (when it executed: the count that passed it). */
  votes: number
  threshold: number
  /** Members who have voted for it, by name where this directory knows one (else identity). */
  votedBy: string[]
  /** This vote's transaction; null when the member had voted already or the change was in effect. */
  transaction: Hash | null
}

/** A proposal of one of the single-vote kinds (recoveries, governance), as the Consortium keys it. */
export type ConsortiumProposalSubject = {action: ProposalAction; subject: Hex; account: Address}

/** The newest execution of this proposal: its key and the count and threshold it passed with. */
async function lastExecution(
  context: ConsortiumContext,
  proposal: ConsortiumProposalSubject,
): Promise<{key: Hex; count: number; threshold: number} | undefined> {
  const {consortium} = context.contracts
  const action = proposalActionNumber(proposal.action)
  const executions = await consortium.getEvents.ProposalExecuted({subject: proposal.subject}, {fromBlock: 0n})
  const key = executions
    .filter((e) => e.args.action === action && e.args.account && getAddress(e.args.account) === proposal.account)
    .at(-1)?.args.key
  if (!key) return undefined
  const deciding = (await consortium.getEvents.VoteCast({key}, {fromBlock: 0n})).at(-1)?.args
  return {key, count: Number(deciding?.count ?? 0n), threshold: Number(deciding?.threshold ?? 0n)}
}

/**
 * `voter` votes once for `proposal`. Nothing is sent when the member has voted already, or
 * when the change is in effect: a re-run after the deciding vote reports that execution;
 * a change that holds without any vote (e.g. a steward already at that account) is refused
 * with `inEffectWithoutVote`, since there is nothing to vote on.
 */
export async function voteOnce(
  context: ConsortiumContext,
  options: {
    voter: LocalMember
    proposal: ConsortiumProposalSubject
    inEffect: () => Promise<boolean>
    inEffectWithoutVote: string
    action: string
    vote: (consortium: ConsortiumWriter) => Promise<Hash>
    onRevert?: (errorName: string, cause: BaseError) => MedrecError | undefined
  },
): Promise<ConsortiumVoteOutcome> {
  const {consortium} = context.contracts
  const {proposal} = options
  const names = await providerNames(context)
  if (await options.inEffect()) {
    const executed = await lastExecution(context, proposal)
    if (!executed) throw new MedrecError(errorCodes.INVALID_ARGUMENT, options.inEffectWithoutVote)
    return {
      status: 'executed',
      key: executed.key,
      votes: executed.count,
      threshold: executed.threshold,
      votedBy: await proposalVoters(context, executed.key, names),
      transaction: null,
    }
  }
  const key = await consortium.read.proposalKey([
    proposalActionNumber(proposal.action),
    proposal.subject,
    proposal.account,
    false,
  ])
  const already = await consortium.read.hasVoted([key, options.voter.id])
  const transaction = already
    ? null
    : await sendVote(context, options.voter.name, options.action, options.vote, options.onRevert)
  const [executed, votes, threshold] = await Promise.all([
    options.inEffect(),
    consortium.read.votes([key]),
    consortium.read.threshold(),
  ])
  return {
    status: executed ? 'executed' : 'awaiting-votes',
    key,
    votes: Number(votes),
    threshold: Number(threshold),
    votedBy: await proposalVoters(context, key, names),
    transaction,
  }
}

/** Who has a counted vote on proposal `key`: its VoteCast events less the votes withdrawn since. */
export async function proposalVoters(context: ConsortiumContext, key: Hex, names: Map<Hex, string>): Promise<string[]> {
  const {consortium} = context.contracts
  const [cast, withdrawn] = await Promise.all([
    consortium.getEvents.VoteCast({key}, {fromBlock: 0n}),
    consortium.getEvents.VoteWithdrawn({key}, {fromBlock: 0n}),
  ])
  const ordered = [
    ...cast.map((log) => ({log, counted: true})),
    ...withdrawn.map((log) => ({log, counted: false})),
  ].sort((a, b) => Number(a.log.blockNumber - b.log.blockNumber) || a.log.logIndex - b.log.logIndex)
  const voters = new Set<Hex>()
  for (const {log, counted} of ordered) {
    const voter = log.args.voter
    if (voter === undefined) continue
    if (counted) voters.add(voter)
    else voters.delete(voter)
  }
  return [...voters].map((id) => names.get(id) ?? id)
}

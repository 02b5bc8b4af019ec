import {getAddress, getContract, parseEventLogs, zeroHash, type Address, type Hash, type Hex} from 'viem'

import {consortiumAbi} from '../contracts/abi/consortium.js'
import {registrarAbi} from '../contracts/abi/registrar.js'
import {explainContractError} from '../contracts/send-contract-transaction.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import type {NetworkPublicClient, NetworkWalletClient} from '../workspace/network-clients.js'
import type {ConsortiumWriter} from './consortium-contracts.js'
import {newestProviderVote, proposalActionNumber} from './consortium-votes.js'
import {providerIdentity} from './provider-identity.js'

/**
 * One member acting alone: its own key (the wallet client's account) and its own node (the
 * public client), as in a consortium across hosts where no directory holds another's key.
 */
export type OneKeyVoter = {
  publicClient: NetworkPublicClient
  walletClient: NetworkWalletClient
  registrar: Address
  consortium: Address
}

/** What to vote on: admit `name` at `account` as a sealing member, or remove it. */
export type ProviderVoteRequest = {action: 'admit'; name: string; account: Address} | {action: 'remove'; name: string}

export type OneKeyVoteResult = {
  action: 'admit' | 'remove'
  name: string
  id: Hex
  /** The provider's account (for a removal: the one registered). */
  account: Address
  /** executed: the change has passed on chain; awaiting-votes: more members must vote. */
  status: 'awaiting-votes' | 'executed'
  votes: number
  threshold: number
  transaction: Hash
  block: bigint
}

function contracts(voter: OneKeyVoter) {
  return {
    consortium: getContract({address: voter.consortium, abi: consortiumAbi, client: voter.publicClient}),
    registrar: getContract({address: voter.registrar, abi: registrarAbi, client: voter.publicClient}),
  }
}

/** The open (newest) admission or removal proposal about provider `name`, from its VoteCast events. */
export async function openProviderProposal(voter: OneKeyVoter, name: string): Promise<ProviderVoteRequest | undefined> {
  const last = (await newestProviderVote(contracts(voter).consortium, {subject: providerIdentity(name)}))?.args
  if (!last) return undefined
  return last.action === proposalActionNumber('admit')
    ? {action: 'admit', name, account: getAddress(last.account!)}
    : {action: 'remove', name}
}

/**
 * The block of this member's counted vote on the current proposal (or, once it executed, on the
 * proposal that passed in the same round), or undefined when it has not voted for it.
 */
async function ownVoteBlock(voter: OneKeyVoter, request: ProviderVoteRequest, voterId: Hex, key: Hex) {
  const {consortium} = contracts(voter)
  const subject = providerIdentity(request.name)
  const action = proposalActionNumber(request.action)
  const mine = (await consortium.getEvents.VoteCast({voter: voterId, subject}, {fromBlock: 0n})).filter(
    (l) => l.args.action === action,
  )
  if (await consortium.read.hasVoted([key, voterId])) return mine.filter((l) => l.args.key === key).at(-1)?.blockNumber
  // The proposal may have passed already (its key then moved to the next round): a vote of this
  // member on the proposal that executed last counts as a vote on this one.
  const executed = (await consortium.getEvents.ProposalExecuted({subject}, {fromBlock: 0n}))
    .filter((e) => e.args.action === action)
    .at(-1)
  if (!executed || !(await inEffect(voter, request))) return undefined
  return mine.filter((l) => l.args.key === executed.args.key).at(-1)?.blockNumber
}

/** Whether the requested change holds on chain already. */
async function inEffect(voter: OneKeyVoter, request: ProviderVoteRequest): Promise<boolean> {
  const {consortium, registrar} = contracts(voter)
  const id = providerIdentity(request.name)
  if (request.action === 'admit') return consortium.read.isMember([id])
  const participant = await registrar.read.participant([id])
  return !participant.certified && !(await consortium.read.isMember([id]))
}

/** This member's identity in the Consortium; a key that is not a voting member is refused (nothing sent). */
async function voterIdentity(voter: OneKeyVoter): Promise<Hex> {
  const me = voter.walletClient.account.address
  const voterId = await contracts(voter).consortium.read.memberProvider([me])
  if (voterId === zeroHash) {
    throw new MedrecError(errorCodes.NOT_CONSORTIUM_MEMBER, `${me} is not a voting member of the consortium.`, {
      hint: 'Only sealing providers vote; a joiner votes once it has been admitted.',
    })
  }
  return voterId
}

/** Mines one vote transaction of this member's; a revert or failure names `what` was tried. */
async function sendOwnVote(voter: OneKeyVoter, what: string, send: (write: ConsortiumWriter) => Promise<Hash>) {
  const write = getContract({
    address: voter.consortium,
    abi: consortiumAbi,
    client: {public: voter.publicClient, wallet: voter.walletClient},
  })
  let transaction: Hash
  try {
    transaction = await send(write)
  } catch (error) {
    throw explainContractError(error, what, voter.walletClient.account.address)
  }
  const receipt = await voter.publicClient.waitForTransactionReceipt({hash: transaction, timeout: 120_000})
  if (receipt.status !== 'success') {
    throw new MedrecError(errorCodes.CONTRACT_REVERTED, `Could not ${what}: transaction ${transaction} reverted.`, {
      hint: 'Run the command again to see the reason.',
    })
  }
  return {transaction, receipt}
}

/**
 * This member's one on-chain vote, signed with its own key: to admit `name` as a sealing provider
 * at `account`, or to remove it. A second vote by the same member is refused before anything is
 * sent (MEDREC_ALREADY_VOTED, naming the block of the first); so is a vote from a key that is not a
 * voting member (MEDREC_NOT_CONSORTIUM_MEMBER).
 */
export async function castOneKeyProviderVote(
  voter: OneKeyVoter,
  request: ProviderVoteRequest,
): Promise<OneKeyVoteResult> {
  const {consortium, registrar} = contracts(voter)
  const voterId = await voterIdentity(voter)
  const id = providerIdentity(request.name)
  const account =
    request.action === 'admit'
      ? getAddress(request.account)
      : getAddress((await registrar.read.participant([id])).account)
  const key =
    request.action === 'admit'
      ? await consortium.read.admitKey([id, account, true])
      : await consortium.read.removeKey([id])
  const votedAt = await ownVoteBlock(voter, request, voterId, key)
  if (votedAt !== undefined) {
    throw new MedrecError(
      errorCodes.ALREADY_VOTED,
      `You already voted to ${request.action} ${request.name} at block ${votedAt}; nothing was sent.`,
      {hint: 'Each member votes once; the others approve from their own directories (`medrec provider approve`).'},
    )
  }
  if (await inEffect(voter, request)) {
    const state = request.action === 'admit' ? 'already a sealing member' : 'already removed'
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${request.name} is ${state}; there is nothing to vote on.`, {
      hint: 'See `medrec provider list`.',
    })
  }
  const {transaction, receipt} = await sendOwnVote(voter, `vote to ${request.action} ${request.name}`, (write) =>
    request.action === 'admit' ? write.write.voteAdmit([id, account, true]) : write.write.voteRemove([id]),
  )
  // The tally as this vote left it (read from its own event: after an admission the threshold grows).
  const cast = parseEventLogs({abi: consortiumAbi, logs: receipt.logs, eventName: 'VoteCast'}).at(-1)?.args
  const executed = await inEffect(voter, request)
  return {
    action: request.action,
    name: request.name,
    id,
    account,
    status: executed ? 'executed' : 'awaiting-votes',
    votes: Number(cast?.count ?? 0n),
    threshold: Number(cast?.threshold ?? (await consortium.read.threshold())),
    transaction,
    block: receipt.blockNumber,
  }
}

/** Where taking back this member's vote on the proposal about a provider left it. */
export type OneKeyWithdrawal = {
  action: 'admit' | 'remove'
  name: string
  /** The account the proposal names (for a removal: the one registered): its Clique vote is about this signer. */
  account: Address
  /** The withdrawal's transaction and block; null when this member's vote no longer counted (nothing was sent). */
  transaction: Hash | null
  block: number | null
  /** Votes left for the proposal, and how many pass it. */
  votes: number
  threshold: number
}

/**
 * Takes back this member's on-chain vote on the admission or removal of provider `name`
 * (Consortium.withdrawVote), signed with its own key. The proposal is the one this member last
 * voted on. Nothing is sent, and `transaction` is null, when that vote no longer counts: it was
 * withdrawn already, or it lapsed when the member set changed (its key is not the proposal's
 * key any more), or the others passed the proposal after it was withdrawn. Refused, sending
 * nothing: a member that never voted on `name` (MEDREC_NOT_VOTED), and a vote whose proposal
 * passed (a decided change is reversed by the opposite proposal, not by a withdrawal).
 */
export async function withdrawOneKeyProviderVote(voter: OneKeyVoter, name: string): Promise<OneKeyWithdrawal> {
  const {consortium, registrar} = contracts(voter)
  const voterId = await voterIdentity(voter)
  const id = providerIdentity(name)
  const mine = await newestProviderVote(consortium, {voter: voterId, subject: id})
  if (!mine) {
    throw new MedrecError(
      errorCodes.NOT_VOTED,
      `You have not voted on a change to provider ${name}; nothing was sent.`,
      {
        hint: 'Only your own vote can be withdrawn: one cast with `medrec provider propose`, `approve` or `remove`.',
      },
    )
  }
  const {key, action: actionNumber, account: named, sealer} = mine.args as Required<typeof mine.args>
  const action = actionNumber === proposalActionNumber('admit') ? 'admit' : 'remove'
  const voted = await consortium.read.hasVoted([key, voterId])
  // A vote withdrawn before the others passed the proposal no longer counted: it is not refused as passed; nor is
  // one whose passed change a later proposal reversed.
  const latest = (await consortium.getEvents.ProposalExecuted({subject: id}, {fromBlock: 0n})).at(-1)
  const decided = voted && latest?.args.key === key ? latest : undefined
  if (decided) throw passedRefusal(action, name, decided.blockNumber, 'nothing was sent')
  const account = action === 'admit' ? getAddress(named) : getAddress((await registrar.read.participant([id])).account)
  const current = await consortium.read.proposalKey([actionNumber, id, named, sealer])
  const counts = current === key && voted
  const withdrawal = counts
    ? await sendOwnVote(voter, `withdraw your vote to ${action} ${name}`, (write) => write.write.withdrawVote([key]))
    : undefined
  // The others' deciding vote may have been mined first: the withdrawal then took back a vote that no longer
  // counted, and the member's Clique vote must stay for Clique to follow the change.
  const overtaken = withdrawal ? (await consortium.getEvents.ProposalExecuted({key}, {fromBlock: 0n})).at(0) : undefined
  if (overtaken) throw passedRefusal(action, name, overtaken.blockNumber, 'before your withdrawal was mined')
  const [votes, threshold] = await Promise.all([consortium.read.votes([current]), consortium.read.threshold()])
  return {
    action,
    name,
    account,
    transaction: withdrawal?.transaction ?? null,
    block: withdrawal ? Number(withdrawal.receipt.blockNumber) : null,
    votes: Number(votes),
    threshold: Number(threshold),
  }
}

/** A vote whose proposal passed: the change stands, and is reversed by the opposite proposal. */
function passedRefusal(action: 'admit' | 'remove', name: string, block: bigint, when: string): MedrecError {
  return new MedrecError(
    errorCodes.INVALID_ARGUMENT,
    `Your vote to ${action} ${name} passed at block ${block} (${when}): a decided change is not withdrawn, and \
your Clique vote stays.`,
    {
      hint:
        action === 'admit'
          ? `To reverse it, propose its removal: \`medrec provider remove ${name}\`.`
          : 'To reverse it, propose its admission again from its card: `medrec provider propose --card FILE`.',
    },
  )
}

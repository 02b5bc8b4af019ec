import {getAddress, getContract, parseEventLogs, zeroHash, type Address, type Hash, type Hex} from 'viem'

import {consortiumAbi} from '../contracts/abi/consortium.js'
import {registrarAbi} from '../contracts/abi/registrar.js'
import {explainContractError} from '../contracts/send-contract-transaction.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import type {NetworkPublicClient, NetworkWalletClient} from '../workspace/network-clients.js'
import {proposalActionNumber} from './consortium-votes.js'
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
  const {consortium} = contracts(voter)
  const admit = proposalActionNumber('admit')
  const remove = proposalActionNumber('remove')
  const logs = await consortium.getEvents.VoteCast({subject: providerIdentity(name)}, {fromBlock: 0n})
  const last = logs.filter((l) => l.args.action === admit || l.args.action === remove).at(-1)?.args
  if (!last) return undefined
  return last.action === admit ? {action: 'admit', name, account: getAddress(last.account!)} : {action: 'remove', name}
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
  const me = voter.walletClient.account.address
  const voterId = await consortium.read.memberProvider([me])
  if (voterId === zeroHash) {
    throw new MedrecError(errorCodes.NOT_CONSORTIUM_MEMBER, `${me} is not a voting member of the consortium.`, {
      hint: 'Only sealing providers vote; a joiner votes once it has been admitted.',
    })
  }
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
  const write = getContract({
    address: voter.consortium,
    abi: consortiumAbi,
    client: {public: voter.publicClient, wallet: voter.walletClient},
  })
  const what = `vote to ${request.action} ${request.name}`
  let transaction: Hash
  try {
    transaction =
      request.action === 'admit' ? await write.write.voteAdmit([id, account, true]) : await write.write.voteRemove([id])
  } catch (error) {
    throw explainContractError(error, what, me)
  }
  const receipt = await voter.publicClient.waitForTransactionReceipt({hash: transaction, timeout: 120_000})
  if (receipt.status !== 'success') {
    throw new MedrecError(errorCodes.CONTRACT_REVERTED, `Could not ${what}: transaction ${transaction} reverted.`, {
      hint: 'Run the command again to see the reason.',
    })
  }
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

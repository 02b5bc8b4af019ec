import {getAddress, type Address, type Hash} from 'viem'

import {discardHeldProposal, proposeOnSealer} from '../clique/clique-proposals.js'
import {readNodeSigners} from '../clique/node-chain-view.js'
import {
  castOneKeyProviderVote,
  openProviderProposal,
  withdrawOneKeyProviderVote,
  type OneKeyVoter,
  type ProviderVoteRequest,
} from '../consortium/member-provider-vote.js'
import {withdrawalReport, type ProviderVoteWithdrawal} from '../consortium/provider-vote-withdrawal.js'
import type {ContainerEngine} from '../docker/container-engine.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {readIdentityKey} from '../workspace/identity-key.js'
import {exportBundle} from './export-bundle.js'
import {openMemberChain, type MemberChain} from './member-chain.js'
import {refreshMemberNode, refreshOpenMemberNode} from './member-up.js'
import {forgetMemberVote, recordMemberVote} from './member-votes.js'
import {assertWritableFile} from './member-files.js'
import {nodeCardFiles, type NodeCard} from './node-card.js'
import {prepareBundleExport, type BundleChange} from './update-bundle.js'

export type MemberProviderChangeOptions = {
  dir: string
  engine?: ContainerEngine
  /** Also write the refreshed bundle here, to send to the joiner and the other members. */
  out?: string
}

/** What one member's vote on a joiner (or a removal) did, from its own workspace, key and node. */
export type MemberProviderChangeResult = {
  action: 'admit' | 'remove'
  name: string
  account: Address
  /** executed: the on-chain majority is reached (Clique follows as the others' votes are sealed). */
  status: 'awaiting-votes' | 'executed'
  votes: number
  threshold: number
  transaction: Hash
  block: number
  /** This member's Clique vote, cast on its own sealer over IPC. */
  cliqueVote: {authorize: boolean}
  /** Clique's signers as this member's node sees them after the vote. */
  signers: Address[]
  /** The bundle revision this member exported with the change (undefined when the bundle did not change). */
  bundle?: {revision: number; file: string; out?: string}
}

function contractAddress(contracts: Record<string, Address>, name: string): Address {
  const found = Object.entries(contracts).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1]
  if (!found) {
    throw new MedrecError(errorCodes.CONTRACTS_NOT_DEPLOYED, `The consortium bundle lists no ${name} contract.`, {
      hint: 'One member deploys the contracts (`medrec contracts deploy`); import the bundle it exports after that.',
    })
  }
  return found
}

/** This member's voter: its own key, through its own RPC node, on contracts it verified itself. */
async function ownVoter(chain: MemberChain, action: string): Promise<OneKeyVoter> {
  if (chain.role !== 'member') {
    throw new MedrecError(
      errorCodes.NOT_CONSORTIUM_MEMBER,
      `${chain.member.config.name} is not a member of ${chain.ref.network} yet: only members vote.`,
      {hint: 'A joiner waits until a majority of the members have approved it.'},
    )
  }
  const contracts = chain.trustedContracts()
  return {
    publicClient: chain.publicClient(action),
    walletClient: await chain.walletClient(action),
    registrar: contractAddress(contracts, 'Registrar'),
    consortium: contractAddress(contracts, 'Consortium'),
  }
}

/** The bundle changes that record where the vote left the proposal. */
async function bundleChanges(
  chain: MemberChain,
  request: ProviderVoteRequest,
  account: Address,
  executed: boolean,
  proposedCard?: NodeCard,
): Promise<BundleChange[]> {
  const changes: BundleChange[] = proposedCard ? [{type: 'propose', card: proposedCard}] : []
  if (!executed) return changes
  if (request.action === 'remove') return [...changes, {type: 'remove', signer: account}]
  const identityKey = await readIdentityKey(chain.member.paths)
  return [...changes, {type: 'admit', signer: account, identityKey}]
}

/**
 * Casts this member's two votes on `request`: on chain (its own key, its own RPC node) and in
 * Clique (its own sealer, over IPC). Its on-chain vote comes first: a member who already voted
 * is refused there, before anything is sent.
 */
async function voteBoth(
  chain: MemberChain,
  voter: OneKeyVoter,
  request: ProviderVoteRequest,
  options: MemberProviderChangeOptions,
  proposedCard?: NodeCard,
): Promise<MemberProviderChangeResult> {
  // The sealer must run (its Clique vote) before the on-chain vote is sent: both or neither.
  await chain.sealerContainer()
  const vote = await castOneKeyProviderVote(voter, request)
  const authorize = request.action === 'admit'
  // Recorded before it is cast: should the sealer restart before the change passes, its watchdog casts it again.
  await recordMemberVote(chain.member.paths, vote.account, authorize)
  // (its container asked again: a sealer that stopped meanwhile is refused as not running, with what to do)
  await proposeOnSealer(chain.engine, await chain.sealerContainer(), chain.ref.member, vote.account, authorize)
  const signers = (await readNodeSigners(chain.engine, await chain.sealerContainer(), chain.ref.member)).map((s) =>
    getAddress(s),
  )
  const changes = await bundleChanges(chain, request, vote.account, vote.status === 'executed', proposedCard)
  const exported = changes.length > 0 ? await exportBundle({dir: options.dir, out: options.out, changes}) : undefined
  // Its running node trusts and dials a proposed joiner now (members take inbound from trusted nodes only),
  // and its watchdog keeps the vote. Both votes are cast by now: a failure here must not turn them into a
  // failed command (it could not be run again: the on-chain vote stands); `member up` refreshes the node too.
  await refreshMemberNode({dir: options.dir, engine: chain.engine}).catch(() => false)
  return {
    action: request.action,
    name: request.name,
    account: vote.account,
    status: vote.status,
    votes: vote.votes,
    threshold: vote.threshold,
    transaction: vote.transaction,
    block: Number(vote.block),
    cliqueVote: {authorize},
    signers,
    ...(exported
      ? {bundle: {revision: exported.revision, file: exported.bundleFile, ...(exported.out ? {out: exported.out} : {})}}
      : {}),
  }
}

/**
 * `provider propose --card FILE` in a member workspace: verifies the joiner's card, checks that
 * the bundle can take it (no name, signer, node or address twice), casts this member's votes to
 * admit it as a sealing provider, and exports the bundle with the card in `joining`.
 */
export async function proposeJoiner(
  options: MemberProviderChangeOptions & {cardFile: string},
): Promise<MemberProviderChangeResult> {
  const chain = await openMemberChain(options)
  const card = await nodeCardFiles.read(options.cardFile)
  if (options.out) await assertWritableFile(options.out)
  const voter = await ownVoter(chain, 'provider propose')
  // Refused here (duplicate card, not a member) before any vote is sent.
  prepareBundleExport(chain.bundle, {
    changes: [{type: 'propose', card}],
    exportedBy: chain.member.signer,
    exportedAt: new Date(),
  })
  return voteBoth(chain, voter, {action: 'admit', name: card.name, account: card.signer}, options, card)
}

/**
 * `provider approve NAME` in a member workspace: this member's votes for the open proposal about
 * NAME (an admission of a joiner listed in the bundle, or a removal). When its vote passes the
 * proposal, the bundle is exported with the joiner moved to `members` (or the member removed).
 */
export async function approveAsMember(
  options: MemberProviderChangeOptions & {name: string},
): Promise<MemberProviderChangeResult> {
  const chain = await openMemberChain(options)
  if (options.out) await assertWritableFile(options.out)
  const voter = await ownVoter(chain, 'provider approve')
  const proposal = await openProviderProposal(voter, options.name)
  if (!proposal) {
    throw new MedrecError(errorCodes.NO_OPEN_PROPOSAL, `Nobody has proposed a change to provider ${options.name}.`, {
      hint: 'A member proposes a joiner with `medrec provider propose --card FILE`, a removal with `provider remove`.',
    })
  }
  if (proposal.action === 'admit') {
    const card = chain.bundle.joining.find((c) => c.name === options.name)
    if (!card || card.signer !== proposal.account) {
      const found = card ? `its card there names signer ${card.signer}, ` : 'it has no card for it, '
      throw new MedrecError(
        errorCodes.BUNDLE_INVALID,
        `The proposal admits ${options.name} at ${proposal.account}, but this workspace's bundle (revision \
${chain.bundle.revision}) does not list that card among the joiners: ${found}so nothing was voted.`,
        {hint: 'Import the bundle the proposing member exported (`medrec consortium import FILE`), then approve.'},
      )
    }
  }
  return voteBoth(chain, voter, proposal, options)
}

/** `provider remove NAME` in a member workspace: this member's votes to remove member NAME. */
export async function removeAsMember(
  options: MemberProviderChangeOptions & {name: string},
): Promise<MemberProviderChangeResult> {
  const chain = await openMemberChain(options)
  if (options.out) await assertWritableFile(options.out)
  const card = chain.bundle.members.find((c) => c.name === options.name)
  if (!card) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${options.name} is not a member in this workspace's bundle.`, {
      hint: `Members: ${chain.bundle.members.map((c) => c.name).join(', ')}.`,
    })
  }
  const voter = await ownVoter(chain, 'provider remove')
  return voteBoth(chain, voter, {action: 'remove', name: options.name}, options)
}

/**
 * `provider withdraw NAME` in a member workspace: takes back this member's votes on the open
 * admission or removal of NAME, on chain (its own key) and in Clique (its own sealer, whose
 * watchdog stops casting it again). Its sealer must run, so that both go or neither. A re-run
 * after the on-chain vote was withdrawn finishes the Clique half; with neither left to withdraw,
 * it is refused (MEDREC_NOT_VOTED).
 */
export async function withdrawAsMember(options: {
  dir: string
  engine?: ContainerEngine
  name: string
}): Promise<ProviderVoteWithdrawal> {
  const chain = await openMemberChain(options)
  const voter = await ownVoter(chain, 'provider withdraw')
  await chain.sealerContainer()
  const withdrawal = await withdrawOneKeyProviderVote(voter, options.name)
  const name = chain.member.config.name
  const recorded = await forgetMemberVote(chain.member.paths, withdrawal.account)
  // The watchdog keeps the votes it was started with and casts a missing one again at its next look:
  // it is replaced by one without this vote before the sealer drops it.
  if (!(await refreshOpenMemberNode(chain))) {
    throw new MedrecError(errorCodes.NODE_FAILED, `${name}'s sealer stopped before its Clique vote was withdrawn.`, {
      hint: `Start it (\`medrec member up\`), then run \`medrec provider withdraw ${options.name}\` again to finish.`,
    })
  }
  const held = await discardHeldProposal(
    chain.engine,
    await chain.sealerContainer(),
    chain.ref.member,
    withdrawal.account,
  )
  return withdrawalReport(withdrawal, name, {discarded: recorded || held}, `medrec provider approve ${options.name}`)
}

/** Human lines for a member's vote: the tally, its Clique vote, the exported bundle, what is next. */
export function describeMemberProviderChange(result: MemberProviderChangeResult): string[] {
  const verb = result.action === 'admit' ? 'admit' : 'remove'
  const lines = [
    `Voted to ${verb} ${result.name} (${result.account}) at block ${result.block}: ${result.votes} of \
${result.threshold} votes.`,
    `Clique: this member's sealer votes to ${result.cliqueVote.authorize ? 'add' : 'remove'} ${result.account}.`,
  ]
  if (result.bundle) {
    lines.push(`Bundle revision ${result.bundle.revision} exported: ${result.bundle.out ?? result.bundle.file}`)
  }
  lines.push(
    result.status === 'executed'
      ? `executed: ${result.name} ${result.action === 'admit' ? 'is admitted' : 'is removed'}; send the bundle to \
the others (\`medrec consortium import FILE\`).`
      : `awaiting-votes ${result.votes} of ${result.threshold}: each other member runs \`medrec provider approve \
${result.name}\` in its own workspace.`,
  )
  return lines
}

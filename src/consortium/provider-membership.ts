import {getAddress, parseEther, zeroHash, type Address, type Hash, type Hex} from 'viem'

import {listAccounts, sendFromDeployer} from '../accounts/accounts.js'
import {assertNodeName} from '../config/network-config.js'
import {networkWalletClient, type NetworkPublicClient} from '../chain/network-clients.js'
import {consortiumAbi} from '../contracts/abi/consortium.js'
import {registrarAbi} from '../contracts/abi/registrar.js'
import {sendContractTransaction} from '../contracts/send-contract-transaction.js'
import type {ContainerEngine} from '../docker/container-engine.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {deployerKeyName, ensureAccountKey, ensureNodeKeys, rpcNodeName} from '../network/init-network.js'
import {loadNetwork} from '../network/load-network.js'
import {runStep, silentProgress, type ProgressListener} from '../progress/progress-events.js'
import {openRegistrar, type RegistrarContext} from '../registrar/open-registrar.js'
import {cliqueVotesNeeded, currentSigners, proposeSealerVote} from '../sealers/clique-votes.js'
import {addSealer, awaitSignerAndFirstSeal, removeSealer} from '../sealers/sealer-membership.js'
import {providerIdentity} from './provider-identity.js'

/** What a new provider's account receives for gas, if it holds less. */
const providerGasFunds = parseEther('10')

type ConsortiumContext = RegistrarContext & {consortium: Address}

async function openConsortium(dir: string): Promise<ConsortiumContext> {
  const context = await openRegistrar(dir)
  const consortium = context.network.state.contracts.Consortium
  if (!consortium) {
    throw new MedrecError(errorCodes.CONTRACTS_NOT_DEPLOYED, 'This network has no Consortium contract: the whitelist has no governance to vote with.', {
      hint: 'Run `medrec contracts deploy`; it deploys the Consortium and hands it the Registrar\'s governance.',
    })
  }
  return {...context, consortium: getAddress(consortium)}
}

type LocalMember = {name: string; address: Address; id: Hex}

/**
 * Who may vote on the chain: members of the Consortium whose keys are in this directory,
 * with the provider identity they vote as (membership follows the identity).
 */
async function localMembers(context: ConsortiumContext): Promise<LocalMember[]> {
  const keys = await listAccounts(context.network.paths)
  const members: LocalMember[] = []
  for (const key of keys) {
    if (key.name === deployerKeyName || key.name === rpcNodeName) continue
    const provider = await context.publicClient.readContract({address: context.consortium, abi: consortiumAbi, functionName: 'memberProvider', args: [key.address]})
    if (provider !== zeroHash) members.push({name: key.name, address: key.address, id: provider})
  }
  return members
}

const isMember = (context: ConsortiumContext, id: Hex) =>
  context.publicClient.readContract({
    address: context.consortium,
    abi: consortiumAbi,
    functionName: 'isMember',
    args: [id],
  })

function pick<T extends {name: string}>(members: T[], only: string[] | undefined, what: string): T[] {
  if (only === undefined) return members
  const unknown = only.filter((n) => !members.some((m) => m.name === n))
  if (unknown.length > 0) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${unknown.join(', ')} cannot vote here: not a sealing provider whose key is in this directory.`, {
      hint: `${what}: ${members.map((m) => m.name).join(', ') || 'none'}. See \`medrec provider list\`.`,
    })
  }
  return members.filter((m) => only.includes(m.name))
}

type Tally = {votes: number; threshold: number; passed: boolean; transactions: Hash[]}

/** Casts each voter's on-chain vote (skipping those already counted) until the proposal passes. */
async function castVotes(
  context: ConsortiumContext,
  voters: LocalMember[],
  key: () => Promise<Hex>,
  passed: () => Promise<boolean>,
  vote: (voter: string) => Promise<Hash>,
): Promise<Tally & {votedBy: string[]}> {
  const transactions: Hash[] = []
  const votedBy: string[] = []
  for (const voter of voters) {
    if (await passed()) break
    const already = await context.publicClient.readContract({
      address: context.consortium,
      abi: consortiumAbi,
      functionName: 'hasVoted',
      args: [await key(), voter.id],
    })
    if (!already) transactions.push(await vote(voter.name))
    votedBy.push(voter.name)
  }
  const isPassed = await passed()
  const [votes, threshold] = await Promise.all([
    context.publicClient.readContract({address: context.consortium, abi: consortiumAbi, functionName: 'votes', args: [await key()]}),
    context.publicClient.readContract({address: context.consortium, abi: consortiumAbi, functionName: 'threshold'}),
  ])
  return {votes: isPassed ? Number(threshold) : Number(votes), threshold: Number(threshold), passed: isPassed, transactions, votedBy}
}

async function fundIfLow(context: ConsortiumContext, account: Address): Promise<Hash | null> {
  if ((await context.publicClient.getBalance({address: account})) >= providerGasFunds / 2n) return null
  return sendFromDeployer(context.network, context.chain, context.publicClient, account, providerGasFunds)
}

/** One member's on-chain vote, signed with its own key. */
async function voteAs(context: ConsortiumContext, voter: string, vote: {functionName: 'voteAdmit'; args: readonly [Hex, Address, boolean]} | {functionName: 'voteRemove'; args: readonly [Hex]}, action: string): Promise<Hash> {
  const walletClient = await networkWalletClient(context.network, context.chain, voter)
  return (await sendContractTransaction({publicClient: context.publicClient, walletClient, address: context.consortium, abi: consortiumAbi, ...vote, action: `vote as ${voter} to ${action}`} as never)).hash
}

const voteAdmitAs = (context: ConsortiumContext, voter: string, id: Hex, account: Address, sealer: boolean, name: string) =>
  voteAs(context, voter, {functionName: 'voteAdmit', args: [id, account, sealer]}, `admit ${name}`)
const voteRemoveAs = (context: ConsortiumContext, voter: string, id: Hex, name: string) => voteAs(context, voter, {functionName: 'voteRemove', args: [id]}, `remove ${name}`)

const readParticipant = (context: ConsortiumContext, id: Hex) =>
  context.publicClient.readContract({address: context.registrar, abi: registrarAbi, functionName: 'participant', args: [id]})

export type ProviderChangeResult = {
  action: 'admit' | 'remove'
  name: string
  id: Hex
  account: Address
  sealer: boolean
  /** done: on the whitelist (and signing, with a sealer) / off both; awaiting-votes: other providers must approve. */
  status: 'done' | 'awaiting-votes'
  whitelist: Tally & {votedBy: string[]}
  clique: {votesFrom: string[]; votesNeeded: number; firstSealedBlock: number | null} | null
  fundingTx: Hash | null
  timings: {totalMs: number; firstSealMs: number | null}
}

/**
 * Adds a provider: its keys, gas, and the sealing providers' on-chain votes to admit it
 * (every member whose key is here, or those in `voteAs`). With `sealer`, also its node
 * and the signers' Clique votes (see addSealer), waiting until it has sealed a block.
 * Where too few votes can be cast here, the others approve with `provider approve`.
 */
export async function addProvider(options: {
  dir: string
  engine: ContainerEngine
  name: string
  sealer: boolean
  voteAs?: string[]
  lightKdf?: boolean
  timeoutMs?: number
  progress?: ProgressListener
}): Promise<ProviderChangeResult> {
  const progress = options.progress ?? silentProgress
  const started = Date.now()
  assertNodeName(options.name, 'provider')
  const context = await openConsortium(options.dir)
  const {network} = context
  if (options.sealer) {
    if (network.config.sealers.some((s) => s.name === options.name)) {
      throw new MedrecError(errorCodes.INVALID_ARGUMENT, `There is already a sealer named ${options.name}.`, {hint: 'Choose another name, or see `medrec provider list`.'})
    }
    await options.engine.ping()
  }
  const voters = pick(await localMembers(context), options.voteAs, 'Sealing providers with keys here')
  const id = providerIdentity(options.name)
  const before = await readParticipant(context, id)
  if (before.certified && (!options.sealer || (await isMember(context, id)))) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${options.name} is already a provider${options.sealer ? ' and a sealer' : ''}.`, {hint: 'See `medrec provider list`.'})
  }

  const {account, fundingTx} = await runStep(progress, 'keys', `Creating ${options.name}'s keys and funding its account`, async () => {
    const lightKdf = options.lightKdf ?? false
    const keys = options.sealer ? await ensureNodeKeys(network.paths, options.name, {account: true, lightKdf}) : await ensureAccountKey(network.paths, options.name, lightKdf)
    const account = getAddress(keys.address!)
    return {account, fundingTx: await fundIfLow(context, account)}
  })

  const whitelist = await runStep(progress, 'whitelist', `Voting ${options.name} onto the whitelist from ${voters.map((v) => v.name).join(', ') || 'nobody here'}`, () =>
    castVotes(
      context,
      voters,
      () => context.publicClient.readContract({address: context.consortium, abi: consortiumAbi, functionName: 'admitKey', args: [id, account, options.sealer]}),
      async () => (await readParticipant(context, id)).certified,
      (voter) => voteAdmitAs(context, voter, id, account, options.sealer, options.name),
    ), (t) => `${t.votes} of ${t.threshold} votes${t.passed ? ', admitted' : ''}`)

  let clique: ProviderChangeResult['clique'] = null
  let firstSealMs: number | null = null
  if (options.sealer) {
    // Each voter casts both votes at once (on chain and in Clique): the same majority
    // decides both, so the two records move together.
    const signers = await currentSigners(network)
    const added = await addSealer({
      dir: options.dir,
      engine: options.engine,
      name: options.name,
      lightKdf: options.lightKdf,
      timeoutMs: Math.max(1000, (options.timeoutMs ?? 180_000) - (Date.now() - started)),
      votesFrom: voters.filter((v) => network.config.sealers.some((s) => s.name === v.name && signers.includes(getAddress(s.address)))).map((v) => v.name),
      progress,
    })
    clique = {votesFrom: added.votesFrom, votesNeeded: added.votesNeeded, firstSealedBlock: added.firstSealedBlock}
    firstSealMs = added.firstSealedBlock === null ? null : Date.now() - started
  }
  const done = whitelist.passed && (clique === null || clique.firstSealedBlock !== null)
  return {action: 'admit', name: options.name, id, account, sealer: options.sealer, status: done ? 'done' : 'awaiting-votes', whitelist, clique, fundingTx, timings: {totalMs: Date.now() - started, firstSealMs}}
}

/** Consortium.Action numbers of the proposals `provider` commands handle. */
const admitAction = 1
const removeAction = 2

/** The open proposal about a provider: the newest admission or removal vote cast on it. */
async function openProposal(context: ConsortiumContext, id: Hex): Promise<{action: 'admit' | 'remove'; account: Address; sealer: boolean} | undefined> {
  const logs = await context.publicClient.getContractEvents({
    address: context.consortium,
    abi: consortiumAbi,
    eventName: 'VoteCast',
    args: {subject: id},
    fromBlock: 0n,
  })
  const last = logs.filter((l) => l.args.action === admitAction || l.args.action === removeAction).at(-1)?.args
  if (!last) return undefined
  if (last.action === admitAction) return {action: 'admit', account: getAddress(last.account!), sealer: last.sealer!}
  return {action: 'remove', account: getAddress(last.account!), sealer: false}
}

/**
 * One sealing provider (`as`, whose key is here) approves the open proposal about
 * provider `name`: its on-chain vote and, for a sealer, its Clique vote. When that
 * completes both, waits until the new sealer has sealed a block (or the removed one has
 * left and its node is gone).
 */
export async function approveProvider(options: {dir: string; engine: ContainerEngine; name: string; as: string; timeoutMs?: number; progress?: ProgressListener}): Promise<ProviderChangeResult> {
  const progress = options.progress ?? silentProgress
  const started = Date.now()
  const deadline = started + (options.timeoutMs ?? 180_000)
  const context = await openConsortium(options.dir)
  const [voter] = pick(await localMembers(context), [options.as], 'Sealing providers with keys here')
  const id = providerIdentity(options.name)
  const proposal = await openProposal(context, id)
  if (!proposal) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `Nobody has proposed a change to provider ${options.name}.`, {hint: 'Start with `medrec provider add NAME` or `medrec provider remove NAME`.'})
  }
  const removal = proposal.action === 'remove'
  const participant = await readParticipant(context, id)
  const account = removal ? getAddress(participant.account) : proposal.account
  const sealerEntry = context.network.config.sealers.find((s) => s.address.toLowerCase() === account.toLowerCase())
  const isSealer = removal ? sealerEntry !== undefined || (await currentSigners(context.network)).includes(account) : proposal.sealer

  const whitelist = await runStep(progress, 'whitelist', `${voter!.name} votes to ${proposal.action} ${options.name}`, () =>
    castVotes(
      context,
      [voter!],
      () => context.publicClient.readContract({address: context.consortium, abi: consortiumAbi, functionName: removal ? 'removeKey' : 'admitKey', args: (removal ? [id] : [id, account, proposal.sealer]) as never}),
      async () => {
        const p = await readParticipant(context, id)
        return removal ? !p.certified : p.certified
      },
      (v) => (removal ? voteRemoveAs(context, v, id, options.name) : voteAdmitAs(context, v, id, account, proposal.sealer, options.name)),
    ), (t) => `${t.votes} of ${t.threshold} votes${t.passed ? ', passed' : ''}`)

  let clique: ProviderChangeResult['clique'] = null
  let firstSealMs: number | null = null
  if (isSealer && context.network.config.sealers.some((s) => s.name === voter!.name)) {
    const signers = await currentSigners(context.network)
    const votesNeeded = cliqueVotesNeeded(signers.length)
    const report = await runStep(progress, 'clique', `${voter!.name} casts its Clique vote`, () =>
      proposeSealerVote({dir: options.dir, engine: options.engine, address: account, authorize: !removal, from: [voter!.name]}),
    )
    const network = await loadNetwork(options.dir)
    const intended = network.state.votes[account.toLowerCase()]?.sealers ?? report.castBy
    clique = {votesFrom: intended, votesNeeded, firstSealedBlock: null}
    if (whitelist.passed && intended.length >= votesNeeded) {
      if (removal && sealerEntry) {
        await removeSealer({dir: options.dir, engine: options.engine, name: sealerEntry.name, timeoutMs: Math.max(1000, deadline - Date.now()), votesFrom: intended, progress})
      } else if (!removal) {
        const joined = await awaitSignerAndFirstSeal({dir: options.dir, engine: options.engine, name: options.name, address: account, deadline, progress})
        clique.firstSealedBlock = joined.firstSealedBlock
        firstSealMs = Date.now() - started
      }
    }
  }
  const cliqueDone = clique === null || (removal ? !(await currentSigners(context.network)).includes(account) : clique.firstSealedBlock !== null)
  return {action: proposal.action, name: options.name, id, account, sealer: isSealer, status: whitelist.passed && cliqueDone ? 'done' : 'awaiting-votes', whitelist, clique, fundingTx: null, timings: {totalMs: Date.now() - started, firstSealMs}}
}

/**
 * Removes a provider: the sealing providers' on-chain votes to take it off the whitelist
 * (and out of the members) and, if it seals, their Clique votes, after which its node is
 * stopped and removed (see removeSealer).
 */
export async function removeProvider(options: {dir: string; engine: ContainerEngine; name: string; voteAs?: string[]; timeoutMs?: number; progress?: ProgressListener}): Promise<ProviderChangeResult> {
  const progress = options.progress ?? silentProgress
  const started = Date.now()
  const context = await openConsortium(options.dir)
  const id = providerIdentity(options.name)
  const participant = await readParticipant(context, id)
  const account = getAddress(participant.account)
  const member = await isMember(context, id)
  if (participant.kind !== 2 || (!participant.certified && !member)) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${options.name} is not a provider on the whitelist.`, {hint: 'See `medrec provider list`.'})
  }
  const sealerEntry = context.network.config.sealers.find((s) => s.name === options.name)
  if (sealerEntry) await options.engine.ping()
  // The provider itself votes last: the others decide, as with Clique.
  const members = await localMembers(context)
  const voters = pick([...members.filter((m) => m.name !== options.name), ...members.filter((m) => m.name === options.name)], options.voteAs, 'Sealing providers with keys here')
  const whitelist = await runStep(progress, 'whitelist', `Voting ${options.name} off the whitelist`, () =>
    castVotes(
      context,
      voters,
      () => context.publicClient.readContract({address: context.consortium, abi: consortiumAbi, functionName: 'removeKey', args: [id]}),
      async () => !(await readParticipant(context, id)).certified,
      (voter) => voteRemoveAs(context, voter, id, options.name),
    ), (t) => `${t.votes} of ${t.threshold} votes${t.passed ? ', removed' : ''}`)

  let clique: ProviderChangeResult['clique'] = null
  if (sealerEntry) {
    const signers = await currentSigners(context.network)
    const signerVoters = voters.filter((v) => v.name !== options.name && context.network.config.sealers.some((s) => s.name === v.name && signers.includes(getAddress(s.address))))
    const removed = await removeSealer({
      dir: options.dir,
      engine: options.engine,
      name: options.name,
      timeoutMs: Math.max(1000, (options.timeoutMs ?? 180_000) - (Date.now() - started)),
      votesFrom: signerVoters.map((v) => v.name),
      progress,
    })
    clique = {votesFrom: removed.votesFrom, votesNeeded: removed.votesNeeded, firstSealedBlock: null}
    if (removed.status !== 'removed') return {action: 'remove', name: options.name, id, account, sealer: true, status: 'awaiting-votes', whitelist, clique, fundingTx: null, timings: {totalMs: Date.now() - started, firstSealMs: null}}
  }
  return {action: 'remove', name: options.name, id, account, sealer: sealerEntry !== undefined, status: whitelist.passed ? 'done' : 'awaiting-votes', whitelist, clique, fundingTx: null, timings: {totalMs: Date.now() - started, firstSealMs: null}}
}

export type ProviderListing = {
  consortium: Address
  threshold: number
  members: number
  providers: {name: string | null; id: Hex; account: Address; certified: boolean; sealing: boolean; signer: boolean; drift: string | null}[]
  /** Signers that are not on the whitelist as sealing providers. */
  unknownSigners: Address[]
  pending: {name: string | null; id: Hex; action: 'admit' | 'remove'; account: Address; sealer: boolean; votes: number; threshold: number}[]
  drift: string[]
}

/** The whitelist beside the Clique signer set, with every disagreement spelled out. */
export async function listProviders(options: {dir: string}): Promise<ProviderListing> {
  const context = await openConsortium(options.dir)
  return consortiumView(context)
}

/** Drift between whitelist and signers, for `network status`; null when there is no Consortium. */
export async function consortiumDrift(dir: string): Promise<string[] | null> {
  const context = await openConsortium(dir).catch(() => undefined)
  if (!context) return null
  return (await consortiumView(context)).drift
}

async function consortiumView(context: ConsortiumContext): Promise<ProviderListing> {
  const {publicClient, consortium, registrar, network} = context
  const names = new Map<Hex, string>()
  for (const name of [...network.config.sealers.map((s) => s.name), ...(await listAccounts(network.paths)).map((a) => a.name)]) names.set(providerIdentity(name), name)
  const [certifiedLogs, signers, threshold, members] = await Promise.all([
    publicClient.getContractEvents({address: registrar, abi: registrarAbi, eventName: 'ProviderCertified', fromBlock: 0n}),
    currentSigners(network),
    publicClient.readContract({address: consortium, abi: consortiumAbi, functionName: 'threshold'}),
    publicClient.readContract({address: consortium, abi: consortiumAbi, functionName: 'memberCount'}),
  ])
  const ids = [...new Set(certifiedLogs.map((l) => l.args.id!))]
  const providers: ProviderListing['providers'] = []
  for (const id of ids) {
    const p = await publicClient.readContract({address: registrar, abi: registrarAbi, functionName: 'participant', args: [id]})
    const account = getAddress(p.account)
    const sealing = await publicClient.readContract({
      address: consortium,
      abi: consortiumAbi,
      functionName: 'isMember',
      args: [id],
    })
    const signer = signers.includes(account)
    const name = names.get(id) ?? null
    const label = name ?? id
    const drift = sealing && !signer
      ? `${label} is a sealing provider on the whitelist but not a Clique signer`
      : signer && !sealing
        ? `${label} signs blocks but is not a sealing provider on the whitelist`
        : null
    providers.push({name, id, account, certified: p.certified, sealing, signer, drift})
  }
  const unknownSigners = signers.filter((s) => !providers.some((p) => p.account === s))
  const pending = await pendingProposals(publicClient, consortium, names, Number(threshold))
  const drift = [...providers.flatMap((p) => (p.drift ? [p.drift] : [])), ...unknownSigners.map((s) => `${s} signs blocks but is not a provider on the whitelist`)]
  return {consortium, threshold: Number(threshold), members: Number(members), providers, unknownSigners, pending, drift}
}

async function pendingProposals(publicClient: NetworkPublicClient, consortium: Address, names: Map<Hex, string>, threshold: number): Promise<ProviderListing['pending']> {
  const logs = await publicClient.getContractEvents({address: consortium, abi: consortiumAbi, eventName: 'VoteCast', fromBlock: 0n})
  const pending: ProviderListing['pending'] = []
  const seen = new Set<Hex>()
  for (const log of logs.reverse()) {
    const {key, subject: provider, action, account, sealer} = log.args
    // Recoveries and governance transfers are not provider changes; `provider list` shows only these.
    if (!key || seen.has(key) || (action !== admitAction && action !== removeAction)) continue
    seen.add(key)
    const current = action === admitAction
      ? await publicClient.readContract({address: consortium, abi: consortiumAbi, functionName: 'admitKey', args: [provider!, account!, sealer!]})
      : await publicClient.readContract({address: consortium, abi: consortiumAbi, functionName: 'removeKey', args: [provider!]})
    if (current !== key) continue // passed, or lapsed with a change of members
    const votes = Number(await publicClient.readContract({address: consortium, abi: consortiumAbi, functionName: 'votes', args: [key]}))
    if (votes === 0) continue
    pending.push({
      name: names.get(provider!) ?? null,
      id: provider!,
      action: action === admitAction ? 'admit' : 'remove',
      account: getAddress(account!),
      sealer: sealer!,
      votes,
      threshold,
    })
  }
  return pending
}

import {readFile} from 'node:fs/promises'

import {readNodeSigners} from '../clique/node-chain-view.js'
import type {ContainerEngine} from '../docker/container-engine.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import type {ProgressListener} from '../progress/progress-events.js'
import type {ConsortiumBundle} from './consortium-bundle.js'
import {openMemberChain, type MemberChain} from './member-chain.js'
import {destroyMemberNode, openMemberLogs, stopMemberNode} from './member-node-lifecycle.js'
import type {MemberNodeSpec} from './member-node-spec.js'
import {memberNodeStatus, type MemberNodeStatus} from './member-node-status.js'
import {refreshRunningMemberNode, startMemberNode, type StartMemberNodeResult} from './member-node.js'
import {findMemberResources, memberContainer, memberNodeNames} from './member-resources.js'
import {readMemberState} from './member-state.js'
import {pruneMemberVotes, recordedVoteList} from './member-votes.js'
import type {NodeCard} from './node-card.js'
import type {MemberPeer} from './probe-peers.js'

/** enode://ID@HOST:PORT of a card (IPv6 hosts in brackets). */
export function cardEnode(card: Pick<NodeCard, 'enode' | 'host' | 'port'>): string {
  const host = card.host.includes(':') ? `[${card.host}]` : card.host
  return `enode://${card.enode.toLowerCase()}@${host}:${card.port}`
}

/** Every other member's and joiner's node, as this member dials it. */
export function bundlePeers(bundle: ConsortiumBundle, self: string): MemberPeer[] {
  return [...bundle.members, ...bundle.joining]
    .filter((card) => card.signer !== self)
    .map((card) => ({name: card.name, enode: cardEnode(card), address: card.signer}))
}

/**
 * This member's place in its bundle: a member (a founder or an admitted provider, hence a
 * signer), or a joiner (proposed: its node may sync, and seals once voted in). A workspace
 * whose card is in neither is refused: its node would find no one that expects it.
 */
export function memberRoleIn(chain: MemberChain): 'signer' | 'candidate' {
  const {bundle, member} = chain
  if (bundle.members.some((card) => card.signer === member.signer)) return 'signer'
  if (bundle.joining.some((card) => card.signer === member.signer)) return 'candidate'
  throw new MedrecError(
    errorCodes.MEMBER_NOT_PROPOSED,
    `${member.config.name} (${member.signer}) is not proposed yet: the consortium bundle of ${bundle.network.name} \
(revision ${bundle.revision}) lists it neither as a member nor as a joiner.`,
    {
      hint:
        `Ask a member to run \`medrec provider propose --card ${member.config.name}.card.json\` and send you the ` +
        'refreshed bundle; import it (`medrec consortium import FILE`), then run `medrec member up` again. ' +
        'Nothing was created.',
    },
  )
}

/** The node spec of a member workspace: its own keys, the bundle's network, genesis and peers. */
export async function memberNodeSpecOf(chain: MemberChain): Promise<MemberNodeSpec> {
  const {member, bundle} = chain
  const role = memberRoleIn(chain)
  const files = member.paths.node(member.config.name)
  const {rpc} = member.config
  return {
    network: {
      name: bundle.network.name,
      chainId: bundle.network.chainId,
      period: bundle.network.period,
      gasLimit: bundle.network.gasLimit,
      image: bundle.network.image,
    },
    // geth init hashes the genesis' content, not its layout: every member's node agrees on it.
    genesisText: `${JSON.stringify(bundle.genesis, null, 2)}\n`,
    member: {name: member.config.name, address: member.signer, advertise: member.config.advertise},
    role,
    keys: {
      keystore: await readFile(files.keystore, 'utf8'),
      password: await readFile(files.password, 'utf8'),
      nodeKey: (await readFile(files.nodeKey, 'utf8')).trim(),
    },
    peers: bundlePeers(bundle, member.signer),
    // Read again: a vote may have been recorded since the workspace was opened.
    votes: recordedVoteList((await readMemberState(member.paths))?.cliqueVotes ?? member.state.cliqueVotes),
    ...(rpc.enabled ? {rpc: {hostIp: rpc.host, port: rpc.port}} : {}),
  }
}

/**
 * After this workspace's bundle or its own votes changed (a bundle imported or exported, a vote
 * cast): if its node runs, it trusts and dials the bundle's members and joiners now, and its
 * watchdog keeps the current votes. Returns whether a running node was told.
 */
export async function refreshMemberNode(options: {dir: string; engine?: ContainerEngine}): Promise<boolean> {
  return refreshOpenMemberNode(await openMemberChain(options))
}

/** refreshMemberNode on a workspace already open. */
export async function refreshOpenMemberNode(chain: MemberChain): Promise<boolean> {
  const sealer = memberContainer(await findMemberResources(chain.engine, chain.ref), memberNodeNames.sealer)
  if (sealer?.state !== 'running') return false
  const info = await chain.engine.inspectContainer(sealer.id)
  if (!info) return false
  // Votes whose change has passed are dropped first: the watchdog must not keep them.
  await pruneMemberVotes(chain.member.paths, await readNodeSigners(chain.engine, sealer.id, chain.ref.member))
  await refreshRunningMemberNode(chain.engine, chain.ref, info, await memberNodeSpecOf(chain))
  return true
}

export type MemberUpOptions = {
  dir: string
  engine?: ContainerEngine
  timeoutMs: number
  progress?: ProgressListener
  probeTimeoutMs?: number
}

/** `member up`: starts this member's node from its workspace and bundle, and waits until it does its part. */
export async function memberUp(options: MemberUpOptions): Promise<StartMemberNodeResult & {role: string}> {
  const chain = await openMemberChain({dir: options.dir, ...(options.engine ? {engine: options.engine} : {})})
  const spec = await memberNodeSpecOf(chain)
  const result = await startMemberNode({
    engine: chain.engine,
    spec,
    timeoutMs: options.timeoutMs,
    ...(options.progress ? {progress: options.progress} : {}),
    ...(options.probeTimeoutMs ? {probeTimeoutMs: options.probeTimeoutMs} : {}),
  })
  // Its votes whose change has passed while the node was down are dropped, and the watchdog told.
  if ((spec.votes ?? []).length > 0) await refreshOpenMemberNode(chain)
  return {...result, role: spec.role}
}

/** `member status`: this member's nodes on its engine, what its sealer sees, its peers. */
export async function memberStatus(options: {
  dir: string
  engine?: ContainerEngine
  probeTimeoutMs?: number
}): Promise<MemberNodeStatus> {
  const chain = await openMemberChain(options)
  return memberNodeStatus(chain.engine, chain.ref, {
    address: chain.member.signer,
    peers: bundlePeers(chain.bundle, chain.member.signer),
    ...(options.probeTimeoutMs ? {probeTimeoutMs: options.probeTimeoutMs} : {}),
  })
}

/** `member down`: stops this member's containers, keeping its chain. */
export async function memberDown(options: {dir: string; engine?: ContainerEngine}) {
  const chain = await openMemberChain(options)
  return {network: chain.ref.network, member: chain.ref.member, ...(await stopMemberNode(chain.engine, chain.ref))}
}

/** Whether this member has any Docker object on its engine (destroy asks only then). */
export async function memberNodeExists(options: {dir: string; engine?: ContainerEngine}): Promise<boolean> {
  const chain = await openMemberChain(options)
  const found = await findMemberResources(chain.engine, chain.ref)
  return found.containers.length + found.volumes.length > 0
}

/** `member destroy`: removes this member's containers, volumes and network; its keys and bundle stay. */
export async function memberDestroy(options: {dir: string; engine?: ContainerEngine}) {
  const chain = await openMemberChain(options)
  return {
    network: chain.ref.network,
    member: chain.ref.member,
    removed: await destroyMemberNode(chain.engine, chain.ref),
  }
}

/** `member logs`: the log streams of this member's nodes. */
export async function memberLogs(options: {
  dir: string
  engine?: ContainerEngine
  node?: 'sealer' | 'rpc' | 'watchdog'
  follow: boolean
  tail?: number
}) {
  const chain = await openMemberChain(options)
  return openMemberLogs(chain.engine, chain.ref, {
    follow: options.follow,
    ...(options.node ? {node: options.node} : {}),
    ...(options.tail === undefined ? {} : {tail: options.tail}),
  })
}

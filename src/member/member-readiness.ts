import {cliqueVotesNeeded} from '../clique/votes-needed.js'
import type {NodeChainView} from '../clique/node-chain-view.js'

/** A peer as the wait sees it: its node id, signer address (lowercase) if any, and the TCP probe's answer. */
export type ReadinessPeer = {name: string; id: string; address?: string; reachable: boolean}

export type ReadinessInput = {
  /** Epoch ms of the observation. */
  now: number
  /** This member's signer address, lowercase. */
  me: string
  /** The Clique period in seconds. */
  period: number
  view: NodeChainView
  peers: readonly ReadinessPeer[]
}

/** What the wait remembers between observations. */
export type ReadinessMemory = {
  /** The head when the node was started: a block it seals must come after it. */
  startHead: number
  lastHeadHash: string
  /** When the head last changed (epoch ms). */
  movedAt: number
  lastRemedyAt?: number
  /** Set while mining is stopped by the rewind remedy (epoch ms), so it is always resumed. */
  miningPausedAt?: number
}

/**
 * Ways to get a stuck start-up moving, each for a cause read in geth v1.13.15:
 *
 * - `rehandshake`: a node learns a peer's total difficulty only at the handshake and from
 *   a propagated block's parent (eth/handler_eth.go:131), and syncs only toward a higher one
 *   (eth/sync.go:175). A block dropped while the node was not yet "synced" (eth/handler.go:243)
 *   leaves it believing its peers are level. Dropping and re-adding the peer handshakes again.
 * - `rewind-own-chain`: a founder that starts while another founder's chain holds only
 *   that founder's first block seals its own first block before it learns of the other (it
 *   mines at once: the genesis is older than a period). When both blocks are out of turn
 *   their total difficulties are equal: neither node syncs to the other, and neither may seal
 *   block 2 (each sealed the last block, clique.go:644), so both wait for a third signer.
 *   The node whose chain holds only its own empty blocks stops mining, goes back to the
 *   genesis (debug.setHead) and, at the next peer event (a reconnection), syncs the other's
 *   block; nothing is lost. It needs another signer online, not connected at the moment of
 *   the look: a stalled peer's watchdog drops and redials the link, so it may be up only
 *   between two looks (bench/results/multi-host-founder-stall.md).
 * - `resume-mining`: the end of a rewind, once the node holds another signer's block, or
 *   after a bound when no other signer is online. While one is, a node back on the genesis
 *   that mined again would seal a new lone block 1 and tie once more; it re-handshakes instead.
 */
export type Remedy = 'rehandshake' | 'rewind-own-chain' | 'resume-mining'

export type ReadyState = 'sealing' | 'sealing-alone' | 'waiting-for-votes'

/**
 * Signers online as this node sees them (itself, those connected and those its probe reached), of
 * how many, and how many must be online for the chain to move: a signer seals at most one block in
 * any floor(N/2)+1 (EIP-225).
 */
export type SignersOnline = {online: number; signers: number; needed: number}

export type ReadinessStep =
  | {
      kind: 'ready'
      state: ReadyState
      summary: string
      /** A member not (yet) in the signer set: the votes to admit it it has seen, of how many signers. */
      votes?: {received: number; signers: number; needed: number}
      /** A signer: how many signers are online, so a founder started before a majority says so. */
      signersOnline?: SignersOnline
    }
  | {kind: 'wait'; waitingFor: string; remedy?: {kind: Remedy; reason: string}}

/** How long without a new head before a remedy is tried: a few periods, at least 15 s. */
export function stallAfterMs(period: number): number {
  return Math.max(15_000, 4 * period * 1000)
}

/** How old a head may be for a node to count as synced to a live chain (as `network status` judges a stall). */
export function syncedSlackSeconds(period: number): number {
  return Math.max(3 * period, period + 15)
}

/** The longest a node is kept from mining by the rewind remedy. */
export const maxMiningPauseMs = 30_000

/**
 * The memory of a wait that begins with this observation. `startHead` is the head the node
 * loaded when it started (its log says so), so blocks it sealed in the moment before the
 * first observation count; without it, the head observed now.
 */
export function newReadinessMemory(now: number, view: NodeChainView, startHead?: number): ReadinessMemory {
  return {startHead: startHead ?? view.head.number, lastHeadHash: view.head.hash, movedAt: now}
}

/** The head a geth start loaded, from that start's log ("Loaded most recent local block number=N"). */
export function loadedHeadFromLog(log: string): number | undefined {
  const matches = [...log.matchAll(/Loaded most recent local block\s+number=(\d+)/g)]
  const last = matches.at(-1)
  return last ? Number(last[1]) : undefined
}

/**
 * Decides, from one observation of the node, whether this member's node is ready, what it
 * is waiting for, and whether a remedy is due. Pure: the caller observes and acts.
 *
 * A signer is ready once it has sealed a block since it started, on a chain that also
 * holds another signer's block ("sealing"), or alone when no other signer is connected or
 * reachable ("sealing-alone": the first founder to start). A member that is not a signer is
 * ready once synced to a live head: connected, not syncing, its head no older than a few
 * periods; it then reports the votes to admit it.
 */
export function assessMemberReadiness(
  input: ReadinessInput,
  memory: ReadinessMemory,
): {step: ReadinessStep; memory: ReadinessMemory} {
  const {now, me, view} = input
  const next: ReadinessMemory = {...memory}
  if (view.head.hash !== memory.lastHeadHash) {
    next.lastHeadHash = view.head.hash
    next.movedAt = now
  }
  const stallMs = stallAfterMs(input.period)
  const remedyDue =
    now - next.movedAt > stallMs && (next.lastRemedyAt === undefined || now - next.lastRemedyAt > stallMs)
  const remedy = (kind: Remedy, reason: string, waitingFor: string) => {
    next.lastRemedyAt = now
    if (kind === 'rewind-own-chain') next.miningPausedAt = now
    if (kind === 'resume-mining') delete next.miningPausedAt
    return {step: {kind: 'wait', waitingFor, remedy: {kind, reason}} as ReadinessStep, memory: next}
  }
  const wait = (waitingFor: string) => ({step: {kind: 'wait', waitingFor} as ReadinessStep, memory: next})

  const connected = new Set(view.peers)
  const signers = new Set(view.signers)
  const signerPeers = input.peers.filter((p) => p.address !== undefined && signers.has(p.address))
  const connectedSigners = signerPeers.filter((p) => connected.has(p.id))
  const reachableNotConnected = signerPeers.filter((p) => p.reachable && !connected.has(p.id))
  // Another signer is online when it is connected now or answered the probe: a stalled peer's
  // watchdog drops and redials the link, so "connected" at one look says little.
  const onlineSigners = signerPeers.filter((p) => p.reachable || connected.has(p.id))
  const othersSealed = view.recent.some((b) => b.signer !== me)
  const headText = `head at block ${view.head.number}`
  const names = (peers: readonly ReadinessPeer[]) => peers.map((p) => p.name).join(', ') || 'none'
  const quietText = () => `no new block for ${Math.round((now - next.movedAt) / 1000)} s`

  if (next.miningPausedAt !== undefined) {
    if (view.head.number > 0 && othersSealed)
      return remedy('resume-mining', `it now holds another signer's block (${headText})`, 'its next block')
    const waitingFor = `its peers' blocks after dropping its lone ones (${headText})`
    if (now - next.miningPausedAt > maxMiningPauseMs) {
      if (onlineSigners.length === 0)
        return remedy('resume-mining', `no other signer's block arrived within ${maxMiningPauseMs / 1000} s`, 'a block')
      // Mining again on the genesis would seal a new lone block 1: the tie once more. A node that
      // is behind syncs only at a peer event (eth/sync.go), so it handshakes again instead.
      if (remedyDue && connectedSigners.length > 0)
        return remedy('rehandshake', `${quietText()} back on the genesis; ${names(onlineSigners)} online`, waitingFor)
    }
    return wait(waitingFor)
  }

  if (signers.has(me)) {
    const online: SignersOnline = {
      online: 1 + onlineSigners.length,
      signers: signers.size,
      needed: cliqueVotesNeeded(signers.size),
    }
    const onlineText =
      online.online >= online.needed
        ? `${online.online} of ${online.signers} signers online`
        : `${online.online} of ${online.signers} signers online, ${online.needed} needed for the chain to move`
    const own = view.recent.filter((b) => b.number > memory.startHead && b.signer === me)
    const latestOwn = own.at(-1)?.number
    const ready = (state: ReadyState, summary: string) => ({
      step: {kind: 'ready', state, summary, signersOnline: online} as ReadinessStep,
      memory: next,
    })
    if (latestOwn !== undefined && othersSealed)
      return ready('sealing', `sealed block ${latestOwn}; ${headText}; ${onlineText}`)
    if (latestOwn !== undefined && connectedSigners.length === 0 && reachableNotConnected.length === 0) {
      return ready(
        'sealing-alone',
        `sealed block ${latestOwn}; no other signer is reachable yet (${headText}; ${onlineText})`,
      )
    }
    const waitingFor =
      latestOwn === undefined
        ? `its turn to seal (${headText}; connected signers: ${names(connectedSigners)}; ${onlineText})`
        : reachableNotConnected.length > 0
          ? `a connection to ${names(reachableNotConnected)}, reachable but not connected (${headText}; ${onlineText})`
          : `another signer's block on its chain (${headText}; connected signers: ${names(connectedSigners)})`
    if (remedyDue) {
      const ownOnly =
        view.head.number > 0 &&
        view.recent[0]?.number === 1 &&
        view.recent.every((b) => b.signer === me && b.transactions === 0)
      // A lone own chain is dropped once another signer is online, connected at this look or not.
      if (ownOnly && onlineSigners.length > 0) {
        const reason = `${quietText()} with ${names(onlineSigners)} online`
        return remedy('rewind-own-chain', `${reason}, and its chain holds only its own empty blocks`, waitingFor)
      }
      if (connectedSigners.length > 0)
        return remedy('rehandshake', `${quietText()} with ${names(connectedSigners)} connected`, waitingFor)
    }
    return wait(waitingFor)
  }

  const headAge = Math.round(now / 1000 - view.head.timestamp)
  const synced =
    view.peers.length > 0 && !view.syncing && view.head.number > 0 && headAge <= syncedSlackSeconds(input.period)
  if (synced) {
    const tally = view.tally[me]
    const received = tally?.authorize ? tally.votes : 0
    const votes = {received, signers: signers.size, needed: cliqueVotesNeeded(signers.size)}
    return {
      step: {
        kind: 'ready',
        state: 'waiting-for-votes',
        summary:
          `synced at block ${view.head.number}; ` +
          `waiting for votes: ${received} of ${votes.signers} (${votes.needed} needed)`,
        votes,
      },
      memory: next,
    }
  }
  const syncing = view.syncing ? '; syncing' : ''
  const waitingFor = `to sync (${headText}, ${headAge} s old; ${view.peers.length} peers${syncing})`
  if (remedyDue && view.peers.length > 0)
    return remedy('rehandshake', `no new block for ${Math.round((now - next.movedAt) / 1000)} s`, waitingFor)
  return wait(waitingFor)
}

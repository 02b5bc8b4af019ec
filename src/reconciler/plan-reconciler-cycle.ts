// The reconciler's decisions, from plain data, so each case is tested without Docker or geth:
// when to bring the sealers' proposals in line with the recorded votes, which votes still
// count, and what to do about a restarted sealer that does not catch up with the chain.

import type {VoteIntent} from '../clique/plan-vote-reconcile.js'

/**
 * How often the reconciler looks: every Clique period, but not more often than every 2 s
 * (one IPC call costs ~80 ms of CPU, measured on a sealer: geth attach is a new process).
 */
export function reconcilerCycleMs(periodSeconds: number): number {
  return Math.max(2, periodSeconds) * 1000
}

/** A full check of every sealer's proposals at least this often, whatever else happens (a missed event). */
export function fullReconcileEveryMs(periodSeconds: number): number {
  return Math.max(30_000, 10 * periodSeconds * 1000)
}

/** A heartbeat older than this means the loop is stuck: the health check fails. */
export function heartbeatStaleAfterMs(periodSeconds: number): number {
  return Math.max(60_000, 5 * reconcilerCycleMs(periodSeconds))
}

/** The epoch checkpoint blocks in (previous, head]: where Clique clears its vote tally. */
export function checkpointsCrossed(previous: number | undefined, head: number, epoch: number): number[] {
  if (previous === undefined || head <= previous) return []
  const first = Math.floor(previous / epoch) * epoch + epoch
  const crossed: number[] = []
  for (let block = first; block <= head && crossed.length < 3; block += epoch) crossed.push(block)
  return crossed
}

export type ReconcileTriggers = {
  /** The loop just started (or the reconciler was restarted). */
  startup: boolean
  /** Sealers that started (a restart wipes geth's proposals) since the last reconcile. */
  restarted: readonly string[]
  /** Sealers that could not be asked or told last time. */
  retry: readonly string[]
  checkpoints: readonly number[]
  /** The tool recorded or forgot a vote (desired.json changed). */
  desiredChanged: boolean
  lastFullAt: number | undefined
  now: number
  fullEveryMs: number
}

/** Why a reconcile is due now, as words for the log; empty when none is. */
export function reconcileReasons(t: ReconcileTriggers): string[] {
  const reasons: string[] = []
  if (t.startup) reasons.push('reconciler started')
  for (const name of t.restarted) reasons.push(`${name} restarted`)
  if (t.retry.length > 0) reasons.push(`retrying ${t.retry.join(', ')}`)
  for (const block of t.checkpoints) reasons.push(`checkpoint at block ${block}`)
  if (t.desiredChanged) reasons.push('recorded votes changed')
  if (reasons.length === 0 && (t.lastFullAt === undefined || t.now - t.lastFullAt >= t.fullEveryMs))
    reasons.push('periodic check')
  return reasons
}

/**
 * The recorded votes still to keep cast: every recorded vote except those the reconciler
 * has seen pass (by address and the time it was recorded). Once the signer set shows a
 * change, the vote is done even if the set changes back before the tool forgets it: casting
 * it again would undo a later decision made elsewhere.
 */
export function activeVotes(
  votes: Readonly<Record<string, VoteIntent & {proposedAt: string}>>,
  settled: ReadonlySet<string>,
): Record<string, VoteIntent> {
  return Object.fromEntries(Object.entries(votes).filter(([address, v]) => !settled.has(settledKey(address, v))))
}

/** How a passed vote is remembered: a vote recorded again later (a new proposedAt) counts afresh. */
export function settledKey(address: string, vote: {proposedAt: string}): string {
  return `${address.toLowerCase()}@${vote.proposedAt}`
}

/** Settled votes the tool has forgotten since are dropped, so the list never grows. */
export function pruneSettled(
  settled: ReadonlySet<string>,
  votes: Readonly<Record<string, {proposedAt: string}>>,
): Set<string> {
  const recorded = new Set(Object.entries(votes).map(([address, v]) => settledKey(address, v)))
  return new Set([...settled].filter((key) => recorded.has(key)))
}

/**
 * Votes cast a moment ago that the tool has withdrawn since (read again afterwards), with the sealers to discard
 * them on at once: all that cast one the tool no longer intends, and those one sealer's withdrawal took out of one
 * it still intends.
 */
export function withdrawnSinceCast(
  cast: readonly {address: string; authorize: boolean; sealers: readonly string[]}[],
  votesNow: Readonly<Record<string, VoteIntent>>,
): {address: string; sealers: string[]}[] {
  return cast.flatMap((c) => {
    const now = votesNow[c.address]
    const sealers = now?.authorize === c.authorize ? c.sealers.filter((s) => !now.sealers.includes(s)) : [...c.sealers]
    return sealers.length > 0 ? [{address: c.address, sealers}] : []
  })
}

/** A sealer that (re)started, watched until it has caught up with the chain. */
export type SyncWatch = {
  sealer: string
  /** Its head at the last look. */
  lastHead: number | undefined
  /** Consecutive looks at which it was behind and not moving, or had no peer. */
  stalled: number
  /** Re-handshakes done so far. */
  handshakes: number
}

/** What a restarted sealer's node says over IPC; undefined while it does not answer (still starting). */
export type SyncLook = {head: number; peers: number; mining: boolean} | undefined

export type SyncDecision =
  | {action: 'synced'; head: number; peers: number}
  | {action: 'wait'; watch: SyncWatch}
  | {action: 're-handshake'; watch: SyncWatch}
  | {action: 'give-up'; head: number; peers: number}

/** Looks at which a lagging sealer that does not move gets a re-handshake. */
export const stalledLooksBeforeHandshake = 3
export const maxHandshakes = 3

/**
 * After a restart, geth dials its static peers (config.toml) again and syncs. A node that is
 * still behind and does not move for a few looks, or has no peer, gets a re-handshake: a
 * sync starts only from a peer whose total difficulty, learnt at the handshake, is higher
 * (eth/sync.go), so a link made while the node was unlocking its key may never start one
 * (the block-1 case in start-whole-network.ts). Only a mining sealer is re-handshaken: until
 * it mines it drops propagated blocks anyway.
 */
export function decideSync(watch: SyncWatch, look: SyncLook, chainHead: number | undefined): SyncDecision {
  if (look === undefined) return {action: 'wait', watch}
  const caughtUp = chainHead === undefined || look.head >= chainHead - 1
  if (caughtUp && look.peers > 0) return {action: 'synced', head: look.head, peers: look.peers}
  const moving = watch.lastHead !== undefined && look.head > watch.lastHead
  const stalled = look.peers === 0 || !moving ? watch.stalled + 1 : 0
  const next: SyncWatch = {...watch, lastHead: look.head, stalled}
  if (stalled < stalledLooksBeforeHandshake || !look.mining) return {action: 'wait', watch: next}
  if (watch.handshakes >= maxHandshakes) return {action: 'give-up', head: look.head, peers: look.peers}
  return {action: 're-handshake', watch: {...next, stalled: 0, handshakes: watch.handshakes + 1}}
}

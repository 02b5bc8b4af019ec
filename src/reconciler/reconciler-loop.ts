import {readFile, rename, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

import {discardOnSealer} from '../clique/clique-proposals.js'
import {readNodeHeadAndSigners} from '../clique/node-chain-view.js'
import {reconcileVotesOnSealers, type VotesOnSealersReport} from '../clique/reconcile-votes-on-sealers.js'
import {
  labelKeys,
  type ContainerEngine,
  type ContainerEvent,
  type ContainerEventWatch,
  type ContainerInfo,
} from '../docker/container-engine.js'
import {parseReconcilerDesired, type ReconcilerDesired} from '../workspace/reconciler-desired.js'
import {reconcilerDesiredFileName, reconcilerStatusFileName} from '../workspace/reconciler-names.js'
import {enodeOf, reHandshake, syncLookOf} from './node-ipc.js'
import {
  activeVotes,
  checkpointsCrossed,
  decideSync,
  fullReconcileEveryMs,
  heartbeatStaleAfterMs,
  pruneSettled,
  reconcileReasons,
  reconcilerCycleMs,
  settledKey,
  withdrawnSinceCast,
  type SyncWatch,
} from './plan-reconciler-cycle.js'

/** status.json: the heartbeat the health check and `network status` read, and what the loop keeps across restarts. */
export type ReconcilerStatus = {
  version: 1
  startedAt: string
  heartbeatAt: string
  /** The health check fails once the heartbeat is older than this. */
  staleAfterMs: number
  cycleMs: number
  head: number | null
  /** The last reconcile that had a reason (a restart, a checkpoint, a change, the periodic check). */
  lastReconcile: {at: string; reasons: string[]; actions: string[]} | null
  /** The last thing it did (cast, discard, re-handshake), as logged. */
  lastAction: {at: string; line: string} | null
  /** Votes seen to pass (address@proposedAt): never cast again, even if the signer set changes back. */
  settled: string[]
  /** Sealers watched after a restart until they catch up. */
  watching: string[]
  lastError: string | null
}

export type ReconcilerLoopOptions = {
  engine: ContainerEngine
  /** Holds desired.json (written by the tool) and status.json (written here). */
  dataDir: string
  log: (line: string) => void
  signal: AbortSignal
  /** Called when one cycle has hung for this long (a Docker call or IPC that never answers). */
  onStuck?: () => void
  stuckAfterMs?: number
  /** Time between cycles; default: the Clique period, at least 2 s (reconcilerCycleMs). */
  cycleMs?: number
}

const defaultStuckAfterMs = 5 * 60_000
const retrySoonMs = 500
const sign = (authorize: boolean) => (authorize ? '+' : '-')

/**
 * Keeps the sealers' Clique proposals in line with the votes the tool recorded, without the
 * tool running: watches the sealers' containers (Docker events), reads head and signers over
 * IPC each cycle, and on a sealer's (re)start, at each epoch checkpoint, when the recorded
 * votes change and periodically, casts again what a sealer lost and discards what passed. A
 * restarted sealer is watched until it has caught up, and re-handshaken if it does not.
 */
export async function runReconcilerLoop(options: ReconcilerLoopOptions): Promise<void> {
  const {engine, signal} = options
  const desiredPath = join(options.dataDir, reconcilerDesiredFileName)
  const statusPath = join(options.dataDir, reconcilerStatusFileName)
  const previous = await readReconcilerStatusFile(statusPath)
  const status: ReconcilerStatus = {
    version: 1,
    startedAt: new Date().toISOString(),
    heartbeatAt: new Date().toISOString(),
    staleAfterMs: heartbeatStaleAfterMs(1),
    cycleMs: reconcilerCycleMs(1),
    head: null,
    lastReconcile: previous?.lastReconcile ?? null,
    lastAction: previous?.lastAction ?? null,
    settled: previous?.settled ?? [],
    watching: [],
    lastError: null,
  }
  const log = (line: string, action = false) => {
    options.log(line)
    if (action) status.lastAction = {at: new Date().toISOString(), line}
  }

  let desired: ReconcilerDesired | undefined
  let desiredText: string | undefined
  let events: {networkId: string; watch: ContainerEventWatch; ended: boolean} | undefined
  /**
   * Sealers that (re)started, with the number of the event that said so: a reconcile clears
   * only restarts it saw begin before it looked (an event during a cycle waits for the next).
   */
  const restarted = new Map<string, number>()
  let eventCount = 0
  const retry = new Set<string>()
  const syncWatches = new Map<string, SyncWatch>()
  /** Watched because they restarted (their catching up is worth a log line), not because the loop started. */
  const announceSync = new Set<string>()
  let startup = true
  let lastFullAt: number | undefined
  let previousHead: number | undefined
  let wake: () => void = () => {}
  let lastError: string | undefined
  let waitingLogged = false
  /** A running sealer still waits for its reconcile (it did not answer yet). */
  let lookSoon = false

  /** Reads desired.json again; returns whether it changed. A file caught mid-write is read next time. */
  const readDesired = async (): Promise<boolean> => {
    const text = await readFile(desiredPath, 'utf8').catch(() => undefined)
    if (text === undefined || text === desiredText) return false
    try {
      desired = parseReconcilerDesired(text)
      desiredText = text
      return true
    } catch {
      return false
    }
  }

  const onEvent = (event: ContainerEvent) => {
    if (event.labels[labelKeys.role] !== 'sealer') return
    const name = event.labels[labelKeys.node]
    if (!name || !desired?.sealers.includes(name)) return
    if (event.action === 'start') {
      restarted.set(name, ++eventCount)
      announceSync.add(name)
      syncWatches.set(name, {sealer: name, lastHead: undefined, stalled: 0, handshakes: 0})
      wake()
    } else if (event.action === 'die') {
      log(`${name} stopped (exit code ${event.labels.exitCode ?? '?'})`)
    }
  }

  const subscribe = async (networkId: string) => {
    if (events && events.networkId === networkId && !events.ended) return
    events?.watch.close()
    const watch = await engine.watchContainerEvents({[labelKeys.networkId]: networkId}, onEvent)
    const current = {networkId, watch, ended: false}
    events = current
    void watch.ended.then((error) => {
      current.ended = true
      if (!signal.aborted) log(`Docker event stream ended${error ? ` (${error.message})` : ''}; subscribing again`)
      wake()
    })
  }

  const cycle = async () => {
    const eventsBefore = eventCount
    const desiredChanged = (await readDesired()) && !startup
    if (!desired) {
      if (!waitingLogged) log(`waiting for ${reconcilerDesiredFileName} (written by \`medrec network up\`)`)
      waitingLogged = true
      return
    }
    if (desiredChanged) log(`recorded votes changed: ${describeVotes(desired)}`)
    status.cycleMs = options.cycleMs ?? reconcilerCycleMs(desired.period)
    status.staleAfterMs = heartbeatStaleAfterMs(desired.period)
    await subscribe(desired.networkId)
    if (startup) log(`watching ${desired.network}: sealers ${desired.sealers.join(', ')}; ${describeVotes(desired)}`)

    const containers = await engine.listContainers({[labelKeys.networkId]: desired.networkId})
    const sealers = runningSealersIn(containers, desired.sealers)
    // Whatever happened while the reconciler was not running: every sealer is looked at once.
    if (startup)
      for (const name of sealers.keys())
        syncWatches.set(name, {sealer: name, lastHead: undefined, stalled: 0, handshakes: 0})
    const view = await readChainView(engine, sealers, syncWatches)
    status.head = view?.head ?? status.head
    const checkpoints = view ? checkpointsCrossed(previousHead, view.head, desired.epoch) : []
    if (view) previousHead = view.head

    const now = Date.now()
    const fullEveryMs = fullReconcileEveryMs(desired.period)
    const reasons = reconcileReasons({
      startup,
      restarted: [...restarted.keys()].filter((n) => sealers.has(n)),
      retry: [...retry].filter((n) => sealers.has(n) && !restarted.has(n)),
      checkpoints,
      desiredChanged,
      lastFullAt,
      now,
      fullEveryMs,
    })
    startup = false
    if (reasons.length > 0 && view) {
      const settled = pruneSettled(new Set(status.settled), desired.votes)
      const intents = activeVotes(desired.votes, settled)
      const report = await reconcileVotesOnSealers({engine, intents, signers: view.signers, sealers})
      for (const address of report.passed) settled.add(settledKey(address, desired.votes[address]!))
      status.settled = [...settled]
      const actions = await logVoteActions(reasons, intents, report)
      status.lastReconcile = {at: new Date().toISOString(), reasons, actions}
      lastFullAt = now
      const failed = new Set(report.failed.map((f) => f.sealer))
      for (const name of sealers.keys()) {
        if (failed.has(name)) retry.add(name)
        else {
          if ((restarted.get(name) ?? Infinity) <= eventsBefore) restarted.delete(name)
          retry.delete(name)
        }
      }
    }
    // A sealer no longer looked after is forgotten; one not running yet keeps its restart for
    // later (a stopped one that failed is retried when it starts again: a new event).
    for (const name of restarted.keys()) if (!desired.sealers.includes(name)) restarted.delete(name)
    for (const name of retry) if (!sealers.has(name)) retry.delete(name)
    lookSoon = [...restarted.keys(), ...retry].some((name) => sealers.has(name))
    await followRestartedSealers(containers, sealers, view?.head)
  }

  /** Logs each vote action with why it was taken; after a cast, withdraws what the tool withdrew meanwhile. */
  const logVoteActions = async (
    reasons: string[],
    intents: Record<string, {authorize: boolean}>,
    report: VotesOnSealersReport,
  ): Promise<string[]> => {
    const why = reasons.join(', ')
    const actions: string[] = []
    for (const r of report.reissued) {
      const line = `${why}; re-cast vote ${sign(r.authorize)}${r.address} on ${r.sealers.join(', ')}`
      actions.push(line)
      log(line, true)
    }
    for (const address of report.passed) {
      const vote = `${sign(intents[address]!.authorize)}${address}`
      const line = `vote ${vote} passed (the signer set shows it); no longer cast`
      actions.push(line)
      log(line, true)
    }
    for (const f of report.failed) {
      const message = (f.error instanceof Error ? f.error.message : String(f.error)).split('\n')[0] ?? ''
      log(`${message.startsWith(f.sealer) ? message : `${f.sealer}: ${message}`} Trying again next cycle.`)
    }
    if (actions.length === 0 && report.failed.length === 0 && reasons.some((r) => r.endsWith('restarted'))) {
      const votes = Object.keys(intents).length
      log(`${why}; ${votes === 0 ? 'no recorded votes to keep' : `its ${votes} recorded vote(s) are in place`}`)
    }
    if (report.reissued.length > 0) {
      // The tool saves a withdrawal before discarding on the sealers; read it again now,
      // so a vote cast here a moment before it was withdrawn does not stay cast.
      await readDesired()
      for (const w of withdrawnSinceCast(report.reissued, desired?.votes ?? {})) {
        const sealers = runningSealersIn(
          await engine.listContainers({[labelKeys.networkId]: desired!.networkId}),
          w.sealers,
        )
        for (const [name, id] of sealers) await discardOnSealer(engine, id, name, w.address as `0x${string}`)
        const on = [...sealers.keys()].join(', ')
        const line = `vote on ${w.address} was withdrawn while it was being cast; discarded on ${on}`
        actions.push(line)
        log(line, true)
      }
    }
    return actions
  }

  /** Each restarted sealer: caught up, still catching up, or stuck (then re-handshaken). */
  const followRestartedSealers = async (
    containers: ContainerInfo[],
    sealers: Map<string, string>,
    chainHead: number | undefined,
  ) => {
    for (const [name, watch] of syncWatches) {
      const id = sealers.get(name)
      if (!id) continue
      const look = await syncLookOf(engine, id, name).catch(() => undefined)
      const decision = decideSync(watch, look, chainHead)
      if (decision.action === 'wait') syncWatches.set(name, decision.watch)
      else if (decision.action === 'synced') {
        syncWatches.delete(name)
        if (announceSync.delete(name)) log(`${name} caught up at block ${decision.head} with ${decision.peers} peer(s)`)
      } else if (decision.action === 'give-up') {
        syncWatches.delete(name)
        announceSync.delete(name)
        log(
          `${name} is still behind at block ${decision.head} with ${decision.peers} peer(s) after re-handshakes; ` +
            `see \`medrec network logs ${name}\``,
          true,
        )
      } else {
        syncWatches.set(name, decision.watch)
        const others = containers.filter(
          (c) =>
            c.id !== id &&
            c.state === 'running' &&
            (c.labels[labelKeys.role] === 'sealer' || c.labels[labelKeys.role] === 'rpc'),
        )
        const enodes = await Promise.all(
          others.map((c) => enodeOf(engine, c.id, c.labels[labelKeys.node] ?? c.name).catch(() => undefined)),
        )
        await reHandshake(
          engine,
          id,
          name,
          enodes.filter((e) => e !== undefined),
        )
        log(
          `${name} is behind at block ${look?.head} (chain at ${chainHead ?? '?'}, ${look?.peers} peer(s)) ` +
            `and not moving; re-handshook with ${others.length} node(s)`,
          true,
        )
      }
    }
    status.watching = [...syncWatches.keys()]
  }

  const writeStatus = async () => {
    status.heartbeatAt = new Date().toISOString()
    const temporary = `${statusPath}.tmp`
    await writeFile(temporary, `${JSON.stringify(status)}\n`)
    await rename(temporary, statusPath)
  }

  const stuckAfterMs = options.stuckAfterMs ?? defaultStuckAfterMs
  try {
    while (!signal.aborted) {
      const watchdog = setTimeout(() => {
        log(`a cycle has not finished in ${Math.round(stuckAfterMs / 1000)} s; exiting so that Docker restarts it`)
        options.onStuck?.()
      }, stuckAfterMs)
      try {
        await cycle()
        status.lastError = null
        lastError = undefined
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error)
        status.lastError = message
        if (message !== lastError) log(`cycle failed: ${message}`)
        lastError = message
      } finally {
        clearTimeout(watchdog)
      }
      await writeStatus().catch((error: unknown) => log(`cannot write ${statusPath}: ${String(error)}`))
      const pause = new Promise<void>((resolve) => {
        wake = resolve
      })
      // A sealer that just started answers over IPC a moment later: look again soon, not a whole cycle later.
      const waitMs = lookSoon ? Math.min(status.cycleMs, retrySoonMs) : status.cycleMs
      await Promise.race([delay(waitMs, undefined, {signal}).catch(() => {}), pause])
    }
  } finally {
    events?.watch.close()
  }
}

/** Running sealer containers among `names`: name → container id. */
function runningSealersIn(containers: ContainerInfo[], names: readonly string[]): Map<string, string> {
  const running = new Map<string, string>()
  for (const c of containers) {
    const name = c.labels[labelKeys.node]
    if (c.labels[labelKeys.role] === 'sealer' && c.state === 'running' && name && names.includes(name))
      running.set(name, c.id)
  }
  return running
}

/** Head and signers from the first running sealer that answers, preferring those not catching up after a restart. */
async function readChainView(
  engine: ContainerEngine,
  sealers: Map<string, string>,
  catchingUp: Map<string, SyncWatch>,
): Promise<{head: number; signers: string[]} | undefined> {
  const order = [...sealers].sort(([a], [b]) => Number(catchingUp.has(a)) - Number(catchingUp.has(b)))
  for (const [name, id] of order) {
    try {
      return await readNodeHeadAndSigners(engine, id, name)
    } catch {
      // Try the next one; a node that is starting does not answer yet.
    }
  }
  return undefined
}

function describeVotes(desired: ReconcilerDesired): string {
  const votes = Object.entries(desired.votes)
  if (votes.length === 0) return 'no recorded votes'
  return `recorded votes ${votes.map(([a, v]) => `${sign(v.authorize)}${a} from ${v.sealers.join(', ')}`).join('; ')}`
}

/** status.json as the loop last wrote it; undefined when absent or unreadable. */
export async function readReconcilerStatusFile(path: string): Promise<ReconcilerStatus | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined)
  return text === undefined ? undefined : parseReconcilerStatus(text)
}

/** Parses status.json leniently (it is ours, but may come from an older image): undefined when unusable. */
export function parseReconcilerStatus(text: string): ReconcilerStatus | undefined {
  try {
    const json = JSON.parse(text) as Partial<ReconcilerStatus>
    if (json.version !== 1 || typeof json.heartbeatAt !== 'string') return undefined
    return {
      version: 1,
      startedAt: json.startedAt ?? json.heartbeatAt,
      heartbeatAt: json.heartbeatAt,
      staleAfterMs: json.staleAfterMs ?? heartbeatStaleAfterMs(1),
      cycleMs: json.cycleMs ?? reconcilerCycleMs(1),
      head: json.head ?? null,
      lastReconcile: json.lastReconcile ?? null,
      lastAction: json.lastAction ?? null,
      settled: Array.isArray(json.settled) ? json.settled.filter((s) => typeof s === 'string') : [],
      watching: Array.isArray(json.watching) ? json.watching : [],
      lastError: json.lastError ?? null,
    }
  } catch {
    return undefined
  }
}

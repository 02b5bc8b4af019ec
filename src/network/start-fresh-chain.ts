import {setTimeout as delay} from 'node:timers/promises'

import type {Address} from 'viem'

import type {ContainerEngine} from '../docker/container-engine.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {gethIpcEval} from '../geth/geth-ipc.js'
import {assertNodesRunning, type WaitNode} from './wait-for-network.js'

/**
 * The signer whose turn it is to seal block 1. Clique orders the signers by address and
 * gives block n to signer n mod N (consensus/clique/snapshot.go `inturn`); that signer's
 * block has difficulty 2, every other signer's difficulty 1.
 */
export function firstBlockSigner(signers: readonly Address[]): Address {
  if (signers.length === 0) throw new Error('A Clique chain needs at least one signer.')
  // Lowercase hex compares like the address bytes; checksummed (mixed-case) text would not.
  const sorted = signers.map((s) => ({s, key: s.toLowerCase()}))
  sorted.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  return sorted[1 % sorted.length]!.s
}

/**
 * The order a chain at block 0 starts in: the sealer whose turn block 1 is, then the keyless
 * node(s), then the other sealers. Undefined when that sealer is not among the nodes.
 */
export function freshStartOrder<T extends {role: 'sealer' | 'rpc'; address?: Address}>(
  nodes: readonly T[],
  signers: readonly Address[],
): T[] | undefined {
  const leaderAddress = firstBlockSigner(signers).toLowerCase()
  const leader = nodes.find((n) => n.address?.toLowerCase() === leaderAddress)
  if (!leader) return undefined
  const rest = nodes.filter((n) => n !== leader)
  return [leader, ...rest.filter((n) => n.role === 'rpc'), ...rest.filter((n) => n.role !== 'rpc')]
}

export type StartFreshChainOptions = {
  engine: ContainerEngine
  /** The sealer whose turn it is to seal block 1 (firstBlockSigner). */
  leader: WaitNode
  /** Every other node, in start order (freshStartOrder). */
  others: WaitNode[]
  /** Epoch ms after which the wait for block 1 gives up. */
  deadline: number
  /** How long the whole wait was allowed, for the timeout message. */
  timeoutMs: number
  signal?: AbortSignal
  start: (node: WaitNode) => Promise<void>
}

const logPollMs = 150
const ipcCheckMs = 2000
/** geth's log line for block 1 sealed by this node (miner/worker.go, resultLoop). */
const sealedBlockOne = /Successfully sealed new block\s+number=1\s/
/** Logged once the p2p listener is open and static dials are scheduled (p2p/server.go:704). */
const listening = /Started P2P networking/

/**
 * Starts the nodes of a chain still at block 0 in an order that cannot deadlock: first the
 * sealer whose turn it is to seal block 1, alone; every other node only once that block
 * exists, one at a time. Why, from geth v1.13.15:
 *
 * - A node drops a propagated block until it counts as synced (eth/handler.go:243, "Syncing,
 *   discarded propagated block"). A sealer counts as synced only once mining starts
 *   (eth/backend.go:453 `StartMining`), which geth does after unlocking the key
 *   (cmd/geth/main.go `startNode`: p2p first, then the scrypt unlock, then mining), so a
 *   sealer is peered but deaf for the whole unlock; the keyless node until it has synced once.
 * - A sync starts only if a peer's total difficulty is higher than ours (eth/sync.go:175).
 *   A peer's TD is learnt at the handshake (eth/handler.go:347) and from a NewBlock, which
 *   records the *parent's* TD (eth/handler_eth.go:131): block 1 announces genesis TD, equal to
 *   ours, so the dropped block 1 never starts a sync.
 * - On a fresh chain block 1 is due at once (consensus/clique/clique.go:575: its time is "now"
 *   when the genesis is older than a period), and whoever has sealed block 1 may not seal
 *   block 2 (clique.go:644: one block in any N/2+1).
 *
 * Started together, the sealer that unlocks first seals block 1; a peer still unlocking drops
 * it and then seals its own. Each stays on its own block 1 (the heavier one keeps it, the
 * lighter one never learns of the heavier), and with 2 signers neither may seal block 2.
 *
 * Started this way, block 1 is the in-turn block (difficulty 2, the highest TD any block 1 can
 * have) before any other node exists, so every other node learns that TD at its handshake
 * with the leader and syncs to it, whatever it sealed itself meanwhile (a sync also marks it
 * synced); the leader, mining, accepts every propagated block; and the leader cannot seal
 * again before another sealer has, so nothing is sealed that a starting node could miss.
 *
 * That handshake must happen, and two nodes that dial each other at the same moment can both
 * lose the link: each keeps the connection it registered first and drops the other as a
 * duplicate (p2p/server.go:824), and neither dials again for 35 s (p2p/dial.go:442 records the
 * dial when it starts). A dial to a container not yet started stays pending while ARP resolves
 * and can land just then. So at this first start each node dials only the nodes started
 * before it (its first config.toml lists only those as static, the caller's part), and the
 * next node starts once this one listens: every link is dialled once, towards a listener.
 */
export async function startFreshChain(options: StartFreshChainOptions): Promise<{blockOneAfterMs: number}> {
  const began = Date.now()
  const baseline = new Map<string, number>()
  const {engine, leader} = options
  await options.start(leader)
  let ipcCheckedAt = Date.now()
  for (;;) {
    options.signal?.throwIfAborted()
    await assertNodesRunning(engine, [leader], baseline)
    // Seen first in the log (a cheap read, where a console over IPC starts a process that
    // costs a second on a busy machine); the head over IPC is the check that needs no log format.
    const logs = await engine.logsText(leader.containerId, 40).catch(() => '')
    if (sealedBlockOne.test(logs)) break
    if (Date.now() - ipcCheckedAt > ipcCheckMs) {
      const head = await gethIpcEval<number>(engine, leader.containerId, leader.name, 'eth.blockNumber').catch(() => 0)
      ipcCheckedAt = Date.now()
      if (head >= 1) break
    }
    if (Date.now() > options.deadline) {
      const seconds = Math.round(options.timeoutMs / 1000)
      const message = `The network was not ready after ${seconds} s: still waiting for ${leader.name} to seal block 1.`
      throw new MedrecError(errorCodes.READY_TIMEOUT, message, {
        details: logs.trim().split('\n').slice(-5).map((l) => l.trim()),
        hint: `Read its log with \`medrec network logs ${leader.name}\`, or allow more time with --timeout.`,
      })
    }
    await delay(logPollMs)
  }
  const blockOneAfterMs = Date.now() - began
  for (const node of options.others) {
    options.signal?.throwIfAborted()
    await options.start(node)
    await waitForLogLine(options, node, listening, 'to listen for peers')
  }
  return {blockOneAfterMs}
}

/** Polls a node's log for a line, failing fast when the node crashes and at the deadline. */
async function waitForLogLine(opts: StartFreshChainOptions, node: WaitNode, line: RegExp, what: string): Promise<void> {
  const baseline = new Map<string, number>()
  for (;;) {
    opts.signal?.throwIfAborted()
    await assertNodesRunning(opts.engine, [node], baseline)
    const logs = await opts.engine.logsText(node.containerId, 200).catch(() => '')
    if (line.test(logs)) return
    if (Date.now() > opts.deadline) {
      const seconds = Math.round(opts.timeoutMs / 1000)
      const message = `The network was not ready after ${seconds} s: still waiting for ${node.name} ${what}.`
      throw new MedrecError(errorCodes.READY_TIMEOUT, message, {
        details: logs.trim().split('\n').slice(-5).map((l) => l.trim()),
        hint: `Read its log with \`medrec network logs ${node.name}\`, or allow more time with --timeout.`,
      })
    }
    await delay(logPollMs)
  }
}

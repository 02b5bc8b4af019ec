import type {ContainerEngine} from '../docker/container-engine.js'
import {gethIpcEval} from '../geth/geth-ipc.js'
import {pollUntil} from '../wait/poll-until.js'
import {settleAll} from '../workspace/network-resources.js'
import {assertNodesRunning, type WaitNode} from './wait-for-network.js'

export type StartWholeNetworkOptions = {
  engine: ContainerEngine
  /** Every node; a node dials those listed after it. */
  nodes: (WaitNode & {role: 'sealer' | 'rpc'; enode: string})[]
  /** Epoch ms after which the wait gives up. */
  deadline: number
  /** How long the whole wait was allowed, for the timeout message. */
  timeoutMs: number
  signal?: AbortSignal
  /** Writes a node's config.toml without static peers (the container is stopped or new). */
  isolate: (node: WaitNode) => Promise<void>
  start: (node: WaitNode) => Promise<void>
}

const logPollMs = 150
/** How long each node's connecting console waits for its full mesh before leaving it to the readiness wait. */
const meshWaitMs = 5000
/** Logged by a running miner (miner/worker.go:1198), hence after `StartMining` marked the node synced. */
const mining = /Commit new sealing work/
/**
 * Logged once a node's console socket listens (node/node.go startRPC). A sealer logs it before
 * it unlocks and mines; the keyless node must be awaited for it too before a console dials
 * from it: a fast sealer can mine before the keyless node's socket exists.
 */
const ipcOpen = /IPC endpoint opened/

/**
 * Starts every node of a network so that no sealer is ever connected while it would drop a
 * block: each starts with no peers, and the nodes are connected only once every sealer mines.
 * Why, from geth v1.13.15:
 *
 * - A node drops a propagated block until it counts as synced (eth/handler.go:243, "Syncing,
 *   discarded propagated block"). A sealer counts as synced only once mining starts
 *   (eth/backend.go:453 `StartMining`), which geth does after unlocking the key
 *   (cmd/geth/main.go `startNode`: p2p first, then the scrypt unlock, then mining), so a
 *   peered sealer is deaf for the whole unlock; the keyless node until it has synced once.
 * - A sync starts only if a peer's total difficulty is higher than ours (eth/sync.go:175).
 *   A peer's TD is learnt at the handshake (eth/handler.go:347) and from a NewBlock, which
 *   records the *parent's* TD (eth/handler_eth.go:131): a dropped block announces the TD we
 *   already have, so it never starts a sync.
 * - The next block is due at once when the head is older than a period (clique.go:575), and
 *   whoever sealed a block may not seal the next (clique.go:644: one block in any N/2+1).
 *
 * Started peered, the sealer that unlocks first seals the next block; a peer still unlocking
 * drops it, then seals its own at the same height, or, having sealed the block before, waits
 * for the one it dropped. With 2 signers neither may seal again: seen in 7 of 12 new 2-sealer
 * networks and 5 of 10 restarts of one.
 *
 * Started isolated, each sealer seals what it may on its own head and then mines, hence
 * accepts every propagated block. Connected then, every pair handshakes with its current TD,
 * so a node behind (or on a lighter block at the same height, such as the out-of-turn blocks
 * 1 of a new chain next to the in-turn one) syncs to the heaviest chain; equal-TD siblings
 * (possible with 3 or more signers) give way at the next block, which a third signer seals.
 *
 * Each pair is dialled once, by `admin.addPeer` from one side: two nodes that dial each other
 * at the same moment can both lose the link (each keeps the connection it registered first
 * and drops the other as a duplicate, p2p/server.go:824) and neither dials again for 35 s
 * (p2p/dial.go:442 records a dial when it starts). Once connected, each side also holds the
 * other as a static peer (connectScript). The caller restores the full static lists in
 * config.toml afterwards, for later restarts.
 */
export async function startWholeNetwork(options: StartWholeNetworkOptions): Promise<StartWholeNetworkResult> {
  const began = Date.now()
  await settleAll(options.nodes.map((node) => options.isolate(node)))
  options.signal?.throwIfAborted()
  await settleAll(options.nodes.map((node) => options.start(node)))
  await settleAll(
    options.nodes.map((node) =>
      node.role === 'sealer'
        ? awaitLogLine(options, node, mining, `${node.name} to start sealing`)
        : awaitLogLine(options, node, ipcOpen, `${node.name} to open its console socket`),
    ),
  )
  const miningAfterMs = Date.now() - began
  options.signal?.throwIfAborted()
  const counts = await settleAll(
    options.nodes.map(async (node, index) => {
      const script = connectScript(
        options.nodes.slice(index + 1).map((n) => n.enode),
        options.nodes.slice(0, index).map((n) => n.enode),
        options.nodes.length - 1,
      )
      return [node.name, await gethIpcEval<number>(options.engine, node.containerId, node.name, script)] as const
    }),
  )
  const peers = Object.fromEntries(counts)
  return {miningAfterMs, peers, meshed: counts.every(([, count]) => count >= options.nodes.length - 1)}
}

export type StartWholeNetworkResult = {
  miningAfterMs: number
  /** Each node's peers when its console returned. */
  peers: Record<string, number>
  /**
   * Every node saw every other as a peer and has recorded those that dialled it as static
   * peers (so either side redials a lost link); otherwise the readiness wait finishes both.
   */
  meshed: boolean
}

/**
 * One console session per node, so connecting costs one `geth attach` each rather than three
 * rounds of them (dial, check the mesh, record the dialled peers): it dials the nodes after it,
 * waits (up to meshWaitMs) until every other node is its peer, and only then records the
 * nodes before it, which dialled it, as static peers. Only then: a static peer that is not
 * connected yet is dialled, and two nodes dialling each other at once can both lose the link.
 * Returns its peer count. Its wait for the peers is the one in the tool not through pollUntil:
 * it runs inside the node's console.
 */
function connectScript(later: string[], earlier: string[], wanted: number): string {
  const list = (enodes: string[]) => JSON.stringify(enodes)
  return `(function () {
    ${list(later)}.forEach(function (e) { admin.addPeer(e) });
    var deadline = Date.now() + ${meshWaitMs};
    while (admin.peers.length < ${wanted} && Date.now() < deadline) admin.sleep(0.05);
    if (admin.peers.length < ${wanted}) return admin.peers.length;
    ${list(earlier)}.forEach(function (e) { admin.addPeer(e) });
    return admin.peers.length;
  })()`
}

/** Polls a node's log (this start's lines only) until `line` shows, failing fast when it crashes. */
async function awaitLogLine(opts: StartWholeNetworkOptions, node: WaitNode, line: RegExp, what: string): Promise<void> {
  const baseline = new Map<string, number>()
  let logs = ''
  await pollUntil(
    what,
    opts.deadline,
    async () => {
      await assertNodesRunning(opts.engine, [node], baseline)
      // Only this start's lines: a node killed a moment ago (SIGKILL, then up) left "Commit new
      // sealing work" from its previous run in the log, and would be dialled over an IPC
      // socket nobody listens on yet.
      logs = await opts.engine.logsText(node.containerId, 500, {sinceStart: true}).catch(() => '')
      return line.test(logs) ? true : undefined
    },
    {
      interval: logPollMs,
      ...(opts.signal ? {signal: opts.signal} : {}),
      onTimeout: () => ({
        message: `The network was not ready after ${Math.round(opts.timeoutMs / 1000)} s: still waiting for ${what}.`,
        details: logs
          .trim()
          .split('\n')
          .slice(-5)
          .map((l) => l.trim()),
        hint: `Read its log with \`medrec network logs ${node.name}\`, or allow more time with --timeout.`,
      }),
    },
  )
}

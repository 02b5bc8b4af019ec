import type {ContainerEngine} from '../docker/container-engine.js'
import {gethIpcEval} from '../geth/geth-ipc.js'

// A node's Clique chain as the node itself sees it, over its IPC (`geth attach` through the
// Docker exec API): what a member reads of its own sealer, which serves no HTTP, and what the
// reconciler reads of each sealer. Each read is one console call (~80 ms of CPU), so each asks
// for everything its caller needs at that moment. Over HTTP RPC: signers-at, signer-of-block.
// Addresses are lowercase, and viem is not imported: the reconciler's image leaves it out.

/** What one node sees of the chain and its peers, read in one console call over its IPC. */
export type NodeChainView = {
  head: {number: number; hash: string; timestamp: number}
  /** The last blocks of its canonical chain (at most `window`), oldest first, with who sealed each. */
  recent: {number: number; hash: string; signer: string; transactions: number}[]
  /** The signer set at its head, lowercase. */
  signers: string[]
  /** Node ids (128 hex, lowercase) of the peers it is connected to. */
  peers: string[]
  syncing: boolean
  mining: boolean
  /** Pending Clique votes it has seen in blocks: candidate (lowercase) → direction and count. */
  tally: Record<string, {authorize: boolean; votes: number}>
}

type RawView = Omit<NodeChainView, 'signers' | 'peers' | 'tally'> & {
  signers: string[]
  peers: string[]
  tally: Record<string, {authorize: boolean; votes: number}> | null
}

/**
 * The console expression behind readNodeChainView. Plain ES5: geth's console is goja.
 * Signers come from clique.getSigner per block (hex numbers: the API takes no JS numbers).
 */
export function nodeChainViewExpression(window: number): string {
  return `(function () {
    var head = eth.getBlock('latest');
    var from = Math.max(1, head.number - ${window} + 1);
    var recent = [];
    for (var n = from; n <= head.number; n++) {
      var b = eth.getBlock(n);
      recent.push({number: n, hash: b.hash, signer: clique.getSigner('0x' + n.toString(16)),
        transactions: b.transactions.length});
    }
    return {head: {number: head.number, hash: head.hash, timestamp: head.timestamp}, recent: recent,
      signers: clique.getSigners(), peers: admin.peers.map(function (p) { return p.enode }),
      syncing: eth.syncing !== false, mining: eth.mining, tally: clique.getSnapshot().tally};
  })()`
}

/** Reads a node's whole view of the chain (head, recent sealers, signers, peers, votes) in one call. */
export async function readNodeChainView(
  engine: ContainerEngine,
  containerId: string,
  nodeName: string,
  window: number,
): Promise<NodeChainView> {
  const raw = await gethIpcEval<RawView>(engine, containerId, nodeName, nodeChainViewExpression(window))
  const tally: NodeChainView['tally'] = {}
  for (const [address, entry] of Object.entries(raw.tally ?? {})) tally[address.toLowerCase()] = entry
  return {
    ...raw,
    recent: raw.recent.map((b) => ({...b, signer: b.signer.toLowerCase()})),
    signers: raw.signers.map((s) => s.toLowerCase()),
    peers: raw.peers.map((enode) => /^enode:\/\/([0-9a-f]{128})/i.exec(enode)?.[1]?.toLowerCase() ?? enode),
    tally,
  }
}

/** The signer set at a node's head (clique.getSigners), lowercase. */
export async function readNodeSigners(engine: ContainerEngine, containerId: string, name: string): Promise<string[]> {
  return (await gethIpcEval<string[]>(engine, containerId, name, 'clique.getSigners()')).map((s) => s.toLowerCase())
}

/** A node's head and its signer set (lowercase), read together. */
export async function readNodeHeadAndSigners(
  engine: ContainerEngine,
  containerId: string,
  name: string,
): Promise<{head: number; signers: string[]}> {
  const view = await gethIpcEval<{head: number; signers: string[]}>(
    engine,
    containerId,
    name,
    '{head: eth.blockNumber, signers: clique.getSigners()}',
  )
  return {head: view.head, signers: view.signers.map((s) => s.toLowerCase())}
}

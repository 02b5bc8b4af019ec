import type {ContainerEngine} from '../docker/container-engine.js'
import {gethIpcEval} from '../geth/geth-ipc.js'

/** What one node sees of the chain and its peers, read in one console call over its IPC. */
export type MemberChainView = {
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

type RawView = Omit<MemberChainView, 'signers' | 'peers' | 'tally'> & {
  signers: string[]
  peers: string[]
  tally: Record<string, {authorize: boolean; votes: number}> | null
}

/**
 * The console expression behind readMemberChainView. Plain ES5: geth's console is goja.
 * Signers come from clique.getSigner per block (hex numbers: the API takes no JS numbers).
 */
export function memberChainViewExpression(window: number): string {
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

/** Reads a node's view of the chain through `geth attach` in its container. */
export async function readMemberChainView(
  engine: ContainerEngine,
  containerId: string,
  nodeName: string,
  window: number,
): Promise<MemberChainView> {
  const raw = await gethIpcEval<RawView>(engine, containerId, nodeName, memberChainViewExpression(window))
  const tally: MemberChainView['tally'] = {}
  for (const [address, entry] of Object.entries(raw.tally ?? {})) tally[address.toLowerCase()] = entry
  return {
    ...raw,
    recent: raw.recent.map((b) => ({...b, signer: b.signer.toLowerCase()})),
    signers: raw.signers.map((s) => s.toLowerCase()),
    peers: raw.peers.map((enode) => /^enode:\/\/([0-9a-f]{128})/i.exec(enode)?.[1]?.toLowerCase() ?? enode),
    tally,
  }
}

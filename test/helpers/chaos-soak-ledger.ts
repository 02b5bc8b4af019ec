// The chaos soak's accounting, kept apart from Docker and geth so it can be tested on its own:
// given every transaction the client sent (with the receipt it saw, if any) and the final
// canonical chain, which were confirmed, which were lost, and how long the chain paused.
import type {Hash} from 'viem'

/** A relationship transaction the soak's client signed and sent. */
export type SoakTransaction = {
  flow: string
  action: string
  from: string
  nonce: number
  /** Computed from the signed bytes before sending, so it is known even when the send itself errs. */
  hash: Hash
  sentAt: number
  /** The send call failed (e.g. a time-out): the node may or may not hold the transaction. */
  sendError?: string
  /** The (first) receipt the RPC node gave, when it gave one. */
  receipt?: {blockNumber: number; blockHash: Hash; status: 'success' | 'reverted'; at: number}
  /** How often the client later found it in another block than its receipt's (or in none). */
  receiptMoves?: number
}

/** One block of the final canonical chain, as the RPC node holds it once every node agrees. */
export type CanonicalBlock = {number: number; hash: Hash; timestamp: number; transactions: Hash[]}

export type LedgerVerdict = {
  sent: number
  /** Had a receipt, and is in the final canonical chain (in its receipt's block, or re-included). */
  confirmed: number
  /** Of those, found in the very block its receipt named. */
  confirmedInReceiptBlock: number
  /** Its receipt's block was reorganised away, and the transaction is in a later canonical block. */
  reincludedAfterReorg: Hash[]
  /** Had a receipt, but is nowhere in the final canonical chain (the goal is none). */
  lost: Hash[]
  /** Had a receipt with status reverted (confirmed, but did nothing). */
  reverted: Hash[]
  /** Never had a receipt while the client waited. */
  withoutReceipt: number
  /** Of those, in the final chain all the same (the receipt came after the client stopped asking). */
  withoutReceiptIncluded: number
  /** Whose send call failed; the node may still have taken them. */
  sendErrors: number
  /** Time from sending to the receipt, for those that had one. */
  receiptLatencyMs: {p50: number | null; p95: number | null; max: number | null}
}

/** The value below which `p` percent of the samples lie (nearest rank). */
export function percentile(samples: readonly number[], p: number): number | null {
  if (samples.length === 0) return null
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

/**
 * Checks every sent transaction against the final canonical chain. A receipt from a block
 * that was later reorganised away counts as lost unless the transaction is in the final
 * chain at another height (then it is listed as re-included).
 */
export function assessLedger(sent: readonly SoakTransaction[], chain: readonly CanonicalBlock[]): LedgerVerdict {
  const byNumber = new Map(chain.map((block) => [block.number, block]))
  const includedAt = new Map<string, number>()
  for (const block of chain) for (const tx of block.transactions) includedAt.set(tx.toLowerCase(), block.number)
  const verdict: LedgerVerdict = {
    sent: sent.length,
    confirmed: 0,
    confirmedInReceiptBlock: 0,
    reincludedAfterReorg: [],
    lost: [],
    reverted: [],
    withoutReceipt: 0,
    withoutReceiptIncluded: 0,
    sendErrors: 0,
    receiptLatencyMs: {p50: null, p95: null, max: null},
  }
  const latencies: number[] = []
  for (const tx of sent) {
    if (tx.sendError !== undefined) verdict.sendErrors++
    const inChainAt = includedAt.get(tx.hash.toLowerCase())
    if (!tx.receipt) {
      verdict.withoutReceipt++
      if (inChainAt !== undefined) verdict.withoutReceiptIncluded++
      continue
    }
    latencies.push(tx.receipt.at - tx.sentAt)
    if (tx.receipt.status === 'reverted') verdict.reverted.push(tx.hash)
    const receiptBlock = byNumber.get(tx.receipt.blockNumber)
    const sameBlock = receiptBlock?.hash.toLowerCase() === tx.receipt.blockHash.toLowerCase()
    if (sameBlock && inChainAt === tx.receipt.blockNumber) {
      verdict.confirmed++
      verdict.confirmedInReceiptBlock++
    } else if (inChainAt !== undefined) {
      verdict.confirmed++
      verdict.reincludedAfterReorg.push(tx.hash)
    } else {
      verdict.lost.push(tx.hash)
    }
  }
  verdict.receiptLatencyMs = {
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    max: latencies.length === 0 ? null : Math.max(...latencies),
  }
  return verdict
}

/** Every gap of at least `minSeconds` between consecutive blocks' timestamps, with the block that ended it. */
export function blockGaps(
  chain: readonly CanonicalBlock[],
  minSeconds: number,
): {beforeBlock: number; seconds: number; endedAt: string}[] {
  const gaps: {beforeBlock: number; seconds: number; endedAt: string}[] = []
  const sorted = [...chain].sort((a, b) => a.number - b.number)
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1]!
    const block = sorted[i]!
    const seconds = block.timestamp - previous.timestamp
    if (block.number === previous.number + 1 && seconds >= minSeconds)
      gaps.push({beforeBlock: block.number, seconds, endedAt: new Date(block.timestamp * 1000).toISOString()})
  }
  return gaps
}

/** The longest time between two consecutive blocks' timestamps, and the block that ended it. */
export function longestBlockGap(chain: readonly CanonicalBlock[]): {seconds: number; beforeBlock: number | null} {
  const [longest] = blockGaps(chain, 0).sort((a, b) => b.seconds - a.seconds)
  return longest && longest.seconds > 0
    ? {seconds: longest.seconds, beforeBlock: longest.beforeBlock}
    : {seconds: 0, beforeBlock: null}
}

/**
 * Heights at which a block seen at the head (by polling the RPC node) is not the final
 * canonical block there: each is a block the RPC node reorganised away.
 */
export function reorganisedHeights(
  seen: ReadonlyMap<number, ReadonlySet<string>>,
  chain: readonly CanonicalBlock[],
): number[] {
  const canonical = new Map(chain.map((block) => [block.number, block.hash.toLowerCase()]))
  const heights: number[] = []
  for (const [height, hashes] of seen) {
    const final = canonical.get(height)
    if (final === undefined) continue
    if ([...hashes].some((hash) => hash.toLowerCase() !== final)) heights.push(height)
  }
  return heights.sort((a, b) => a - b)
}

/**
 * geth's "Chain reorg detected" (and "Large chain reorg detected") lines in a node's log: how
 * many, and the most blocks one dropped.
 */
export function countLoggedReorgs(log: string): {count: number; deepestDrop: number} {
  let count = 0
  let deepestDrop = 0
  for (const match of log.matchAll(/chain reorg detected.*?\bdrop=(\d+)/gi)) {
    count++
    deepestDrop = Math.max(deepestDrop, Number(match[1]))
  }
  return {count, deepestDrop}
}

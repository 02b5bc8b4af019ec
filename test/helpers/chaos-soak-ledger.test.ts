import {describe, expect, it} from 'vitest'
import type {Hash} from 'viem'

import {
  assessLedger,
  blockGaps,
  countLoggedReorgs,
  longestBlockGap,
  reorganisedHeights,
  type CanonicalBlock,
  type SoakTransaction,
} from './chaos-soak-ledger.js'

const h = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as Hash
const tx = (n: number, receipt?: {block: number; blockHash: Hash; status?: 'success' | 'reverted'}) =>
  ({
    flow: 'patient-1',
    action: 'accept',
    from: '0x0',
    nonce: n,
    hash: h(1000 + n),
    sentAt: 1000,
    ...(receipt
      ? {
          receipt: {
            blockNumber: receipt.block,
            blockHash: receipt.blockHash,
            status: receipt.status ?? 'success',
            at: 1000 + n,
          },
        }
      : {}),
  }) satisfies SoakTransaction
const block = (number: number, hash: Hash, timestamp: number, transactions: Hash[] = []): CanonicalBlock => ({
  number,
  hash,
  timestamp,
  transactions,
})

describe('the chaos soak ledger', () => {
  it('counts a transaction in the block its receipt named as confirmed', () => {
    const chain = [block(10, h(10), 100, [h(1001)])]
    expect(assessLedger([tx(1, {block: 10, blockHash: h(10)})], chain)).toMatchObject({
      sent: 1,
      confirmed: 1,
      confirmedInReceiptBlock: 1,
      lost: [],
      reincludedAfterReorg: [],
    })
  })

  it('counts a receipt from a block reorganised away as lost unless the transaction is in the final chain', () => {
    // Given receipts in block 10's losing sibling (0xdead): tx 1 was mined again at 11, tx 2 never was
    const orphan = h(0xdead)
    const chain = [block(10, h(10), 100), block(11, h(11), 101, [h(1001)])]
    const verdict = assessLedger([tx(1, {block: 10, blockHash: orphan}), tx(2, {block: 10, blockHash: orphan})], chain)
    expect(verdict).toMatchObject({confirmed: 1, confirmedInReceiptBlock: 0, reincludedAfterReorg: [h(1001)]})
    expect(verdict.lost).toEqual([h(1002)])
  })

  it('does not count a transaction whose receipt block hash matches but which is not in that block', () => {
    const chain = [block(10, h(10), 100, [])]
    expect(assessLedger([tx(1, {block: 10, blockHash: h(10)})], chain).lost).toEqual([h(1001)])
  })

  it('keeps transactions without a receipt apart, noting those that made it anyway, and lists reverts', () => {
    const chain = [block(10, h(10), 100, [h(1001), h(1003)])]
    const sendFailed = {...tx(2), sendError: 'timeout'}
    const verdict = assessLedger([tx(1), sendFailed, tx(3, {block: 10, blockHash: h(10), status: 'reverted'})], chain)
    expect(verdict).toMatchObject({
      sent: 3,
      confirmed: 1,
      withoutReceipt: 2,
      withoutReceiptIncluded: 1,
      sendErrors: 1,
      reverted: [h(1003)],
      lost: [],
    })
    expect(verdict.receiptLatencyMs).toEqual({p50: 3, p95: 3, max: 3})
  })

  it('finds the longest gap between consecutive blocks', () => {
    const chain = [block(3, h(3), 107), block(1, h(1), 100), block(2, h(2), 101), block(4, h(4), 108)]
    expect(longestBlockGap(chain)).toEqual({seconds: 6, beforeBlock: 3})
    expect(longestBlockGap([block(1, h(1), 100)])).toEqual({seconds: 0, beforeBlock: null})
  })

  it('lists every gap of at least a given length, skipping heights that are missing', () => {
    const chain = [block(1, h(1), 100), block(2, h(2), 103), block(3, h(3), 104), block(5, h(5), 120)]
    expect(blockGaps(chain, 3)).toEqual([{beforeBlock: 2, seconds: 3, endedAt: new Date(103_000).toISOString()}])
  })

  it('counts heights whose head, as seen, was later replaced', () => {
    const chain = [block(1, h(1), 100), block(2, h(2), 101), block(3, h(3), 102)]
    const seen = new Map([
      [1, new Set([h(1)])],
      [2, new Set([h(0xbad), h(2)])],
      [3, new Set([h(0xbee)])],
      [4, new Set([h(0xfff)])],
    ])
    expect(reorganisedHeights(seen, chain)).toEqual([2, 3])
  })

  it("reads geth's reorg lines: how many, and the deepest", () => {
    const log = [
      'INFO [11-23|22:43:18.160] Chain reorg detected                     number=101 hash=f6d48d..6de77b drop=1 ' +
        'dropfrom=16177e..af26d7 add=1 addfrom=a14e51..fa3e98',
      'INFO [11-23|22:43:19.000] Imported new chain segment               number=102',
      'WARN [11-23|22:44:01.028] Large chain reorg detected               number=150 hash=539ddf..27b613 drop=70 ' +
        'dropfrom=585627..e843c4 add=71 addfrom=7e6e03..190c23',
    ].join('\n')
    expect(countLoggedReorgs(log)).toEqual({count: 2, deepestDrop: 70})
    expect(countLoggedReorgs('')).toEqual({count: 0, deepestDrop: 0})
  })
})

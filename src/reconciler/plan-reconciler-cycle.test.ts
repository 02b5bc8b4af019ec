import {describe, expect, it} from 'vitest'

import {
  activeVotes,
  checkpointsCrossed,
  decideSync,
  maxHandshakes,
  pruneSettled,
  reconcileReasons,
  reconcilerCycleMs,
  settledKey,
  stalledLooksBeforeHandshake,
  withdrawnSinceCast,
  type ReconcileTriggers,
  type SyncWatch,
} from './plan-reconciler-cycle.js'

const x = `0x${'1'.repeat(40)}`
const y = `0x${'2'.repeat(40)}`

const quiet: ReconcileTriggers = {
  startup: false,
  restarted: [],
  retry: [],
  checkpoints: [],
  desiredChanged: false,
  lastFullAt: 1_000,
  now: 2_000,
  fullEveryMs: 30_000,
}

describe('the reconciler cycle', () => {
  it('looks every period, but not more often than every 2 s', () => {
    expect([1, 2, 5, 15].map(reconcilerCycleMs)).toEqual([2000, 2000, 5000, 15000])
  })

  it('finds the epoch checkpoints between two heads, and none without a previous head', () => {
    expect(checkpointsCrossed(undefined, 100, 30)).toEqual([])
    expect(checkpointsCrossed(29, 30, 30)).toEqual([30])
    expect(checkpointsCrossed(30, 31, 30)).toEqual([])
    expect(checkpointsCrossed(55, 125, 30)).toEqual([60, 90, 120])
    expect(checkpointsCrossed(125, 120, 30)).toEqual([]) // a reorg to a lower head
  })

  it('names each reason for a reconcile, and a periodic check only when nothing else is due', () => {
    expect(reconcileReasons(quiet)).toEqual([])
    expect(reconcileReasons({...quiet, restarted: ['sealer-2']})).toEqual(['sealer-2 restarted'])
    expect(
      reconcileReasons({
        ...quiet,
        startup: true,
        retry: ['sealer-1'],
        checkpoints: [30_000],
        desiredChanged: true,
      }),
    ).toEqual(['reconciler started', 'retrying sealer-1', 'checkpoint at block 30000', 'recorded votes changed'])
    expect(reconcileReasons({...quiet, now: 31_000})).toEqual(['periodic check'])
    expect(reconcileReasons({...quiet, lastFullAt: undefined})).toEqual(['periodic check'])
  })

  it('keeps casting every recorded vote except one it saw pass, and counts a vote recorded again afresh', () => {
    const votes = {
      [x]: {authorize: true, sealers: ['sealer-1'], proposedAt: '2025-01-01T00:00:00Z'},
      [y]: {authorize: false, sealers: ['sealer-2'], proposedAt: '2025-01-02T00:00:00Z'},
    }
    const settled = new Set([settledKey(x, votes[x]!), `${y}@2024-12-31T00:00:00Z`])
    expect(activeVotes(votes, settled)).toEqual({[y]: votes[y]})
    // And settled votes the tool has forgotten, or recorded again since, are dropped from the list
    expect(pruneSettled(settled, votes)).toEqual(new Set([settledKey(x, votes[x]!)]))
    expect(pruneSettled(settled, {})).toEqual(new Set())
  })

  it('withdraws at once a vote cast a moment before the tool withdrew or reversed it', () => {
    const cast = [
      {address: x, authorize: true, sealers: ['sealer-1']},
      {address: y, authorize: false, sealers: ['sealer-1', 'sealer-2']},
    ]
    expect(withdrawnSinceCast(cast, {[x]: {authorize: true, sealers: ['sealer-1']}})).toEqual([
      {address: y, sealers: ['sealer-1', 'sealer-2']},
    ])
    expect(withdrawnSinceCast(cast, {[x]: {authorize: false, sealers: ['sealer-1']}})[0]!.address).toBe(x)
    expect(withdrawnSinceCast(cast, {[x]: cast[0]!, [y]: cast[1]!})).toEqual([])
    // One sealer's withdrawal (provider withdraw --as): only its vote is discarded, the other sealer's stays
    expect(withdrawnSinceCast(cast, {[x]: cast[0]!, [y]: {...cast[1]!, sealers: ['sealer-2']}})).toEqual([
      {address: y, sealers: ['sealer-1']},
    ])
  })
})

describe('a restarted sealer catching up', () => {
  const fresh: SyncWatch = {sealer: 'sealer-1', lastHead: undefined, stalled: 0, handshakes: 0}

  it('waits while the node does not answer yet, and is done once it is at the head with a peer', () => {
    expect(decideSync(fresh, undefined, 100)).toEqual({action: 'wait', watch: fresh})
    expect(decideSync(fresh, {head: 99, peers: 2, mining: true}, 100)).toEqual({action: 'synced', head: 99, peers: 2})
  })

  it('leaves a node that is behind but moving alone', () => {
    let watch = fresh
    for (let head = 10; head < 100; head += 10) {
      const decision = decideSync(watch, {head, peers: 2, mining: true}, 200)
      expect(decision.action).toBe('wait')
      if (decision.action === 'wait') watch = decision.watch
    }
    expect(watch.stalled).toBe(0)
  })

  it('re-handshakes a mining node that is behind and does not move, then gives up after a few tries', () => {
    let watch = fresh
    const actions: string[] = []
    for (let look = 0; look < (stalledLooksBeforeHandshake + 1) * (maxHandshakes + 1); look++) {
      const decision = decideSync(watch, {head: 50, peers: 2, mining: true}, 120)
      actions.push(decision.action)
      if (decision.action === 'give-up' || decision.action === 'synced') break
      watch = decision.watch
    }
    const handshakeAt = (n: number) => n * stalledLooksBeforeHandshake - 1
    expect(actions.filter((a) => a === 're-handshake')).toHaveLength(maxHandshakes)
    expect(actions[handshakeAt(1)]).toBe('re-handshake')
    expect(actions.at(-1)).toBe('give-up')
  })

  it('re-handshakes a node with no peer even at the head, but never one that does not mine yet', () => {
    let watch = fresh
    let last: string | undefined
    for (let look = 0; look < stalledLooksBeforeHandshake; look++) {
      const decision = decideSync(watch, {head: 100, peers: 0, mining: true}, 100)
      last = decision.action
      if (decision.action === 'wait' || decision.action === 're-handshake') watch = decision.watch
    }
    expect(last).toBe('re-handshake')
    let unlocking = fresh
    for (let look = 0; look < 10; look++) {
      const decision = decideSync(unlocking, {head: 3, peers: 0, mining: false}, 100)
      expect(decision.action).toBe('wait')
      if (decision.action === 'wait') unlocking = decision.watch
    }
  })
})

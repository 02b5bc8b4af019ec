import {createContext, runInContext} from 'node:vm'

import {describe, expect, it} from 'vitest'

import {peersToRedial, watchdogScript} from './member-watchdog.js'
import type {RecordedVote} from './member-votes.js'

const peerA = `enode://${'a'.repeat(128)}@10.0.0.1:30303`
const peerB = `enode://${'b'.repeat(128)}@10.0.0.2:30303`

/**
 * Runs a watchdog program against stand-ins for geth's console objects (`eth`, `admin`, `clique`)
 * until a stand-in throws 'done' (its looks ran out), with a clock from `now` and logs collected.
 */
function runWatchdog(script: string, consoleObjects: Record<string, unknown>, now: () => number = () => 0) {
  const logs: string[] = []
  const context = createContext({
    Date: {now},
    Math,
    JSON,
    console: {log: (line: string) => logs.push(line)},
    ...consoleObjects,
  })
  expect(() => runInContext(script, context)).toThrow('done')
  return logs
}

/**
 * Runs the watchdog's console program against stand-ins for geth's console objects: a clock
 * that `admin.sleep` advances, heads given per look, and the peer calls recorded. It stops
 * when the heads run out.
 */
function simulate(heads: number[], connected: string[], self = '0'.repeat(128)) {
  let now = 1_000_000
  let looks = 0
  const calls: string[] = []
  const logs = runWatchdog(
    watchdogScript([peerA, peerB], 15),
    {
      eth: {
        get blockNumber() {
          if (looks >= heads.length) throw new Error('done')
          return heads[looks++]
        },
      },
      admin: {
        sleep: (seconds: number) => {
          now += seconds * 1000
        },
        get peers() {
          return connected.map((enode) => ({enode}))
        },
        nodeInfo: {enode: `enode://${self}@10.0.0.9:30303?discport=0`},
        removePeer: (enode: string) => calls.push(`remove ${enode.slice(8, 9)}`),
        addPeer: (enode: string) => calls.push(`add ${enode.slice(8, 9)}`),
      },
    },
    () => now,
  )
  return {calls, logs}
}

describe('the watchdog program', () => {
  it('reconnects every peer once the head has stood still for the stall time with peers connected', () => {
    // Given a head that moves twice, then stands at 7 for 25 s (looks every 5 s)
    const {calls, logs} = simulate([5, 6, 7, 7, 7, 7, 7, 7], [peerA])
    // Then each peer is dropped and re-added once, after 15 s without a new block
    expect(calls).toEqual(['remove a', 'add a', 'remove b', 'add b'])
    expect(logs.at(-1)).toBe(
      'medrec watchdog: no new block for 15 s at block 7 with 1 peers connected: reconnecting to 2 of them',
    )
  })

  it('reconnects only to the peers whose node id is greater than its own, as peersToRedial says', () => {
    // Given a node whose id lies between its two peers'
    const between = `${'a'.repeat(127)}b`
    const {calls} = simulate([7, 7, 7, 7, 7], [peerA, peerB], between)
    // Then it redials b only: a redials it
    expect(calls).toEqual(['remove b', 'add b'])
    expect(peersToRedial(between, [peerA, peerB])).toEqual([peerB])
    expect(peersToRedial('c'.repeat(128), [peerA, peerB])).toEqual([])
  })

  it('does nothing while the head moves, nor while no peer of its own is connected', () => {
    expect(simulate([1, 2, 3, 4, 5, 6, 7, 8, 9], [peerA, peerB]).calls).toEqual([])
    expect(simulate([7, 7, 7, 7, 7, 7, 7, 7], []).calls).toEqual([])
    // Its own RPC node is connected, but it is not one of the peers
    const rpcNode = `enode://${'c'.repeat(128)}@127.0.0.1:30303?discport=0`
    expect(simulate([7, 7, 7, 7, 7, 7, 7, 7], [rpcNode]).calls).toEqual([])
  })
})

/**
 * Runs the watchdog with a stand-in for geth's clique console API: the signer set per look (the
 * last one stays), the proposals the sealer holds (changed by propose and discard).
 */
function simulateVotes(votes: RecordedVote[], signersPerLook: string[][], held: Record<string, boolean> = {}) {
  let looks = 0
  const proposals = {...held}
  const calls: string[] = []
  runWatchdog(watchdogScript([peerA], 15, votes), {
    eth: {
      get blockNumber() {
        if (looks > signersPerLook.length) throw new Error('done')
        return looks
      },
    },
    clique: {
      getSigners: () => signersPerLook[Math.min(looks++, signersPerLook.length - 1)],
      get proposals() {
        return {...proposals}
      },
      propose: (address: string, authorize: boolean) => {
        proposals[address] = authorize
        calls.push(`propose ${address} ${authorize}`)
      },
      discard: (address: string) => {
        delete proposals[address]
        calls.push(`discard ${address}`)
      },
    },
    admin: {sleep: () => undefined, peers: [], nodeInfo: {enode: `enode://${'0'.repeat(128)}@10.0.0.9:30303`}},
  })
  return {calls, proposals}
}

describe("the watchdog keeping the member's own Clique votes", () => {
  const joiner = '0x00000000000000000000000000000000000000aa'
  const member = '0x00000000000000000000000000000000000000bb'

  it('casts a vote again when the sealer lost it (a restart), once, and discards it when the change shows', () => {
    // Given a vote to add the joiner that the restarted sealer no longer holds
    const {calls, proposals} = simulateVotes(
      [{address: joiner, authorize: true}],
      [[member], [member], [member], [member, joiner], [member, joiner], [member]],
    )
    // Then it is proposed again at the first look only, discarded once the joiner signs, and never cast again,
    // not even when the others later remove the joiner
    expect(calls).toEqual([`propose ${joiner} true`, `discard ${joiner}`])
    expect(proposals).toEqual({})
  })

  it('leaves a vote the sealer still holds, and a removal already done, alone', () => {
    expect(simulateVotes([{address: joiner, authorize: true}], [[member]], {[joiner]: true}).calls).toEqual([])
    expect(simulateVotes([{address: joiner, authorize: false}], [[member]]).calls).toEqual([])
  })

  it('casts a removal again while the signer set still holds the member voted out', () => {
    const {calls} = simulateVotes([{address: joiner, authorize: false}], [[member, joiner], [member, joiner], [member]])
    expect(calls).toEqual([`propose ${joiner} false`, `discard ${joiner}`])
  })
})

describe('the watchdog keeping its RPC node connected', () => {
  const follower = `enode://${'f'.repeat(128)}@medrec-carenet_st-anne_rpc:30303`

  function simulateFollower(linkedPerLook: boolean[], addPeerThrows = false) {
    let looks = 0
    const calls: string[] = []
    const logs = runWatchdog(watchdogScript([peerA], 15, [], follower), {
      eth: {
        get blockNumber() {
          if (looks >= linkedPerLook.length) throw new Error('done')
          return looks
        },
      },
      admin: {
        sleep: () => undefined,
        get peers() {
          return linkedPerLook[looks++] ? [{enode: follower.replace('medrec-carenet_st-anne_rpc', '172.18.0.3')}] : []
        },
        nodeInfo: {enode: `enode://${'0'.repeat(128)}@10.0.0.9:30303`},
        addPeer: (enode: string) => {
          if (addPeerThrows) throw new Error('invalid enode: lookup medrec-carenet_st-anne_rpc: no such host')
          calls.push(`add ${enode}`)
        },
        removePeer: (enode: string) => calls.push(`remove ${enode}`),
      },
    })
    return {calls, logs, looks}
  }

  it('dials it by name at every look it is not connected (a restarted sealer moved), says so once', () => {
    const {calls, logs} = simulateFollower([true, false, false, true])
    expect(calls).toEqual([`remove ${follower}`, `add ${follower}`, `remove ${follower}`, `add ${follower}`])
    expect(logs.slice(1)).toEqual([
      'medrec watchdog: its RPC node is not connected: dialling it by name',
      'medrec watchdog: its RPC node is connected again',
    ])
  })

  it('goes on looking when its RPC node cannot be dialled (its name does not resolve), says so once', () => {
    const {logs, looks} = simulateFollower([false, false, false, false], true)
    // Then every look ran (the loop did not end at the first failure), and the error was logged once
    expect(looks).toBe(4)
    expect(logs.filter((l) => l.includes('could not reach its RPC node'))).toEqual([
      'medrec watchdog: could not reach its RPC node: Error: invalid enode: lookup medrec-carenet_st-anne_rpc: ' +
        'no such host',
    ])
  })

  it('leaves it alone while it is connected', () => {
    expect(simulateFollower([true, true, true]).calls).toEqual([])
  })
})

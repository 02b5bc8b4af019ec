import {describe, expect, it} from 'vitest'

import {assessLiveness, type LivenessInput} from './assess-liveness.js'
import {cliqueVotesNeeded} from './votes-needed.js'

const online = {isSigner: true, container: 'running', peers: 2}
const healthy: LivenessInput = {
  networkState: 'running',
  signerCount: 3,
  sealers: [online, online, online],
  period: 2,
  headAgeSeconds: 1,
  rpcRunning: true,
  blockNumber: 40,
}

describe('cliqueVotesNeeded', () => {
  it('is more than half of the signers: floor(N/2)+1', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(cliqueVotesNeeded)).toEqual([1, 2, 2, 3, 3, 4, 4])
  })
})

describe('assessLiveness', () => {
  it('finds a network whose signers are all online and whose head is fresh live', () => {
    expect(assessLiveness(healthy)).toEqual({signers: 3, online: 3, needed: 2, stalled: false, reason: null})
  })

  it('counts as online only signers whose container runs and that have a peer', () => {
    // Given one signer without peers, one stopped, one not a signer at all
    const input = {
      ...healthy,
      signerCount: 3,
      sealers: [
        online,
        {...online, peers: 0},
        {...online, container: 'exited', peers: null},
        {...online, isSigner: false},
      ],
    }
    // Then only one is online, fewer than the 2 needed: stalled, and the reason says X of N vs needed
    const liveness = assessLiveness(input)
    expect(liveness).toMatchObject({online: 1, needed: 2, stalled: true})
    expect(liveness.reason).toContain('only 1 of 3 signers are online')
    expect(liveness.reason).toContain('needs 2')
  })

  it('tolerates one signer down out of three, but not one of two', () => {
    const oneDown = [online, online, {...online, container: 'exited', peers: null}]
    expect(assessLiveness({...healthy, sealers: oneDown}).stalled).toBe(false)
    const twoSigners = {...healthy, signerCount: 2, sealers: [online, {...online, peers: 0}]}
    expect(assessLiveness(twoSigners)).toMatchObject({online: 1, needed: 2, stalled: true})
  })

  it('calls a head older than its slack stalled, naming the age and period', () => {
    // Slack: max(3 × period, period + 15) = 17 s for period 2
    expect(assessLiveness({...healthy, headAgeSeconds: 17}).stalled).toBe(false)
    const old = assessLiveness({...healthy, headAgeSeconds: 18})
    expect(old.stalled).toBe(true)
    expect(old.reason).toBe('no block for 18 s (period 2 s)')
    // And for a long period, 3 × period
    expect(assessLiveness({...healthy, period: 15, headAgeSeconds: 45}).stalled).toBe(false)
    expect(assessLiveness({...healthy, period: 15, headAgeSeconds: 46}).stalled).toBe(true)
  })

  it('gives a stopped or missing network a reason without calling it stalled', () => {
    const stopped = assessLiveness({
      ...healthy,
      networkState: 'stopped',
      sealers: [],
      headAgeSeconds: null,
      blockNumber: null,
    })
    expect(stopped.stalled).toBe(false)
    expect(stopped.reason).toContain('stopped')
    const missing = assessLiveness({
      ...healthy,
      networkState: 'not-created',
      sealers: [],
      rpcRunning: false,
      headAgeSeconds: null,
      blockNumber: null,
    })
    expect(missing.stalled).toBe(false)
    expect(missing.reason).toContain('not been created')
  })

  it('reports an RPC node that runs but does not answer, without calling the chain stalled', () => {
    const silent = assessLiveness({...healthy, headAgeSeconds: null, blockNumber: null})
    expect(silent.reason).toBe('the RPC node does not answer')
    expect(silent.stalled).toBe(false)
  })

  it('prefers the missing-signers reason over an old head', () => {
    const both = assessLiveness({...healthy, signerCount: 3, sealers: [online], headAgeSeconds: 500})
    expect(both.reason).toContain('only 1 of 3')
    expect(both.stalled).toBe(true)
  })
})

import {describe, expect, it} from 'vitest'

import {planVoteReconcile} from './plan-vote-reconcile.js'

const a = `0x${'a'.repeat(40)}`
const b = `0x${'b'.repeat(40)}`
const c = `0x${'c'.repeat(40)}`
const signers = [a.toUpperCase().replace('0X', '0x'), b]

describe('planVoteReconcile', () => {
  it('re-casts a vote only on the intended sealers that run and lost it', () => {
    // Given a vote to add c from sealer-1 and sealer-2; sealer-1 restarted (no proposals), sealer-3 did not vote
    const plan = planVoteReconcile({
      intents: {[c]: {authorize: true, sealers: ['sealer-1', 'sealer-2']}},
      signers,
      proposals: new Map([
        ['sealer-1', {}],
        ['sealer-2', {[c]: true}],
        ['sealer-3', {}],
      ]),
    })
    // Then only sealer-1 casts it again, and nothing has passed
    expect(plan).toEqual({passed: [], reissue: [{address: c, authorize: true, sealers: ['sealer-1']}]})
  })

  it('plans nothing on a sealer that could not be asked (not running, or its IPC failed)', () => {
    const plan = planVoteReconcile({
      intents: {[c]: {authorize: true, sealers: ['sealer-1', 'sealer-2']}},
      signers,
      proposals: new Map([['sealer-2', {[c]: true}]]),
    })
    expect(plan).toEqual({passed: [], reissue: []})
  })

  it('re-casts a vote a sealer holds the other way round (add where it proposes remove)', () => {
    const plan = planVoteReconcile({
      intents: {[b]: {authorize: false, sealers: ['sealer-1']}},
      signers,
      proposals: new Map([['sealer-1', {[b]: true}]]),
    })
    expect(plan.reissue).toEqual([{address: b, authorize: false, sealers: ['sealer-1']}])
  })

  it('counts a vote as passed once the signer set shows it (any case), and discards it where still held', () => {
    // Given a vote to remove c that passed (c is no signer) and a vote to add a that passed (a is a signer)
    const plan = planVoteReconcile({
      intents: {
        [c]: {authorize: false, sealers: ['sealer-1', 'sealer-2']},
        [a]: {authorize: true, sealers: ['sealer-1']},
      },
      signers,
      proposals: new Map([
        ['sealer-1', {[c]: false}],
        ['sealer-2', {}],
        ['sealer-3', {[a]: true}],
      ]),
    })
    // Then both passed, each discarded only where a sealer still holds it (whoever cast it), and nothing is re-cast
    expect(plan).toEqual({
      passed: [
        {address: c, discardOn: ['sealer-1']},
        {address: a, discardOn: ['sealer-3']},
      ],
      reissue: [],
    })
  })

  it('plans nothing without recorded votes', () => {
    expect(planVoteReconcile({intents: {}, signers, proposals: new Map([['sealer-1', {[c]: true}]])})).toEqual({
      passed: [],
      reissue: [],
    })
  })
})

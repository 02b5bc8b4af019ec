import {describe, expect, it} from 'vitest'

import {recordedVoteList, recordedVotesAfter} from './member-votes.js'

const a = '0x00000000000000000000000000000000000000aa'
const b = '0x00000000000000000000000000000000000000bb'
const c = '0x00000000000000000000000000000000000000cc'
const castAt = '2026-11-24T00:00:00.000Z'

describe("a member's recorded Clique votes", () => {
  it('drops the votes whose change the signer set shows, and keeps the others', () => {
    const votes = {[a]: {authorize: true, castAt}, [b]: {authorize: false, castAt}, [c]: {authorize: true, castAt}}
    // a was added (passed), b is still a signer (its removal open), c is not a signer yet (open)
    const after = recordedVotesAfter(votes, [a.toUpperCase().replace('0X', '0x'), b])
    expect(Object.keys(after).sort()).toEqual([b, c])
    // b gone from the signers: its removal passed too
    expect(Object.keys(recordedVotesAfter(votes, [a]))).toEqual([c])
  })

  it('lists them in address order for the watchdog', () => {
    expect(recordedVoteList({[c]: {authorize: true, castAt}, [a]: {authorize: false, castAt}})).toEqual([
      {address: a, authorize: false},
      {address: c, authorize: true},
    ])
  })
})

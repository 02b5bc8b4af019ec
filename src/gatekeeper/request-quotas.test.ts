import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {sourceAddressKey, TokenBuckets} from './request-quotas.js'

/** Buckets on a clock the test moves by hand. */
function bucketsAt(options: {perSecond: number; burst: number; maxEntries: number}) {
  const clock = {ms: 1_000_000}
  const buckets = new TokenBuckets({...options, clock: () => clock.ms})
  return {
    buckets,
    advance: (ms: number) => {
      clock.ms += ms
    },
  }
}

describe('TokenBuckets', () => {
  it('lets a key spend its burst, then refills it at its rate, each key on its own', () => {
    // Given 2 per second with bursts of 3
    const {buckets, advance} = bucketsAt({perSecond: 2, burst: 3, maxEntries: 10})
    // When a key asks 4 times at once, Then the 4th is refused; another key is unaffected
    expect([1, 2, 3, 4].map(() => buckets.take('a'))).toEqual([true, true, true, false])
    expect(buckets.take('b')).toBe(true)
    // And after half a second one more token has come back, and only one
    advance(500)
    expect([buckets.take('a'), buckets.take('a')]).toEqual([true, false])
    // And saving up never exceeds the burst
    advance(60_000)
    expect([1, 2, 3, 4].map(() => buckets.take('a'))).toEqual([true, true, true, false])
  })

  it('stays within maxEntries however many keys arrive, and forgets idle keys first', () => {
    // Given room for 1,000 keys
    const {buckets, advance} = bucketsAt({perSecond: 10, burst: 10, maxEntries: 1000})
    buckets.take('patient')
    // When 200,000 strangers each ask once
    for (let i = 0; i < 200_000; i++) buckets.take(`stranger-${i}`)
    // Then memory holds no more than 1,000 keys
    expect(buckets.size).toBeLessThanOrEqual(1000)
    // And once the strangers stop and their buckets have refilled, they are dropped as others ask
    advance(2000)
    for (let i = 0; i < 600; i++) buckets.take(`later-${i % 3}`)
    expect(buckets.size).toBe(3)
  })

  it('keeps a key that is still being held back, while idle ones go', () => {
    const {buckets, advance} = bucketsAt({perSecond: 1, burst: 2, maxEntries: 100})
    // Given a key last seen 2.1 s ago (its bucket has refilled) and a flooder that emptied its own 0.6 s ago
    buckets.take('idle')
    advance(1500)
    for (let i = 0; i < 5; i++) buckets.take('flooder')
    advance(600)
    // When someone else asks
    buckets.take('someone')
    // Then the idle key has been forgotten, but the flooder is remembered and still held back
    expect(buckets.size).toBe(2)
    expect(buckets.take('flooder')).toBe(false)
    advance(1000)
    expect([buckets.take('flooder'), buckets.take('flooder')]).toEqual([true, false])
  })

  it('refuses nonsensical terms with MedrecError', () => {
    const invalid = expect.objectContaining({code: errorCodes.INVALID_ARGUMENT})
    expect(() => new TokenBuckets({perSecond: -1, burst: 1, maxEntries: 1})).toThrow(invalid)
    expect(() => new TokenBuckets({perSecond: 1, burst: 0, maxEntries: 1})).toThrow(invalid)
    expect(() => new TokenBuckets({perSecond: 1, burst: 1, maxEntries: 0})).toThrow(invalid)
  })
})

describe('sourceAddressKey', () => {
  it('counts IPv4 by address, IPv4-mapped IPv6 as IPv4, and IPv6 by its /64', () => {
    expect(sourceAddressKey('203.0.113.7')).toBe('203.0.113.7')
    expect(sourceAddressKey('::ffff:203.0.113.7')).toBe('203.0.113.7')
    expect(sourceAddressKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64')
    expect(sourceAddressKey('2001:db8:1:2::1')).toBe(sourceAddressKey('2001:0db8:0001:0002:ffff::9'))
    expect(sourceAddressKey('2001:db8::1')).toBe('2001:db8:0:0::/64')
    expect(sourceAddressKey('::1')).toBe('0:0:0:0::/64')
    expect(sourceAddressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64')
    expect(sourceAddressKey(undefined)).toBe('unknown')
  })
})

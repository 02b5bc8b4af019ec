import {bytesToHex, type Address, type Hex} from 'viem'
import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {NonceRegistry} from './nonce-registry.js'

const alice: Address = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const bob: Address = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
const start = 1_900_000_000

/** A registry on a clock the test moves by hand. */
function registryAt(seconds: number, options: {capacity?: number; clockSkewSeconds?: number} = {}) {
  const clock = {ms: seconds * 1000}
  const registry = new NonceRegistry({...options, clock: () => clock.ms})
  return {
    registry,
    advanceTo: (s: number) => {
      clock.ms = s * 1000
    },
  }
}

/** Distinct nonces, cheap enough for a million claims. */
function nonce(n: number): Hex {
  return `0x${n.toString(16).padStart(64, '0')}`
}

describe('NonceRegistry', () => {
  it('accepts a nonce once and refuses its replay, whatever the hex case', () => {
    // Given a fresh registry
    const {registry} = registryAt(start)
    const n = bytesToHex(crypto.getRandomValues(new Uint8Array(32)))
    // When the same request is claimed twice, Then only the first claim wins
    expect(registry.claim(alice, n, BigInt(start + 60))).toBe(true)
    expect(registry.claim(alice, n, BigInt(start + 60))).toBe(false)
    expect(
      registry.claim(alice.toLowerCase() as Address, n.toUpperCase().replace('0X', '0x') as Hex, BigInt(start + 60)),
    ).toBe(false)
    expect(registry.size).toBe(1)
  })

  it('keeps nonces per requester', () => {
    const {registry} = registryAt(start)
    expect(registry.claim(alice, nonce(1), BigInt(start + 60))).toBe(true)
    expect(registry.claim(bob, nonce(1), BigInt(start + 60))).toBe(true)
  })

  it('remembers a nonce until expiry plus skew, then forgets it', () => {
    // Given a nonce expiring in 60 s on a registry with 30 s skew
    const {registry, advanceTo} = registryAt(start, {clockSkewSeconds: 30})
    expect(registry.claim(alice, nonce(1), BigInt(start + 60))).toBe(true)
    // When the clock reaches the last second the verifier would still accept it
    advanceTo(start + 89)
    // Then a replay is still refused
    expect(registry.claim(alice, nonce(1), BigInt(start + 60))).toBe(false)
    expect(registry.size).toBe(1)
    // And once the verifier would call it expired, the registry has let it go
    advanceTo(start + 90)
    expect(registry.claim(bob, nonce(2), BigInt(start + 120))).toBe(true)
    expect(registry.size).toBe(1)
  })

  it('refuses a claim whose retention has already passed, since it could not be remembered', () => {
    const {registry} = registryAt(start, {clockSkewSeconds: 30})
    expect(registry.claim(alice, nonce(1), BigInt(start - 30))).toBe(false)
    expect(registry.claim(alice, nonce(2), BigInt(start - 29))).toBe(true)
  })

  it('forgets in expiry order whatever the claim order', () => {
    // Given nonces claimed with expiries out of order
    const {registry, advanceTo} = registryAt(start, {clockSkewSeconds: 0})
    for (const [i, lifetime] of [50, 10, 40, 20, 30, 10].entries()) {
      expect(registry.claim(alice, nonce(i), BigInt(start + lifetime))).toBe(true)
    }
    // When time passes, Then exactly those whose expiry has passed are gone
    const sizes = [10, 20, 30, 40, 50].map((t) => {
      advanceTo(start + t)
      registry.seed([]) // any call prunes
      return registry.size
    })
    expect(sizes).toEqual([4, 3, 2, 1, 0])
  })

  it('stays bounded under sustained load: 1,000 claims/s for 5 minutes of 60-second requests', () => {
    // Given a steady stream of fresh requests, each living 60 s
    const {registry, advanceTo} = registryAt(start, {clockSkewSeconds: 30})
    let largest = 0
    let n = 0
    for (let second = 0; second < 300; second++) {
      advanceTo(start + second)
      for (let i = 0; i < 1000; i++) {
        registry.claim(alice, nonce(n++), BigInt(start + second + 60))
      }
      largest = Math.max(largest, registry.size)
    }
    // Then it never holds more than the last 90 seconds' worth
    expect(largest).toBe(90 * 1000)
    // And after the stream stops, everything is forgotten
    advanceTo(start + 300 + 90)
    registry.seed([])
    expect(registry.size).toBe(0)
  })

  it('fails closed when full rather than forgetting a live nonce', () => {
    // Given a registry with room for two
    const {registry, advanceTo} = registryAt(start, {capacity: 2, clockSkewSeconds: 0})
    expect(registry.claim(alice, nonce(1), BigInt(start + 10))).toBe(true)
    expect(registry.claim(alice, nonce(2), BigInt(start + 20))).toBe(true)
    // When a third arrives, Then it is refused, and the first two are still remembered
    expect(registry.claim(alice, nonce(3), BigInt(start + 20))).toBe(false)
    expect(registry.claim(alice, nonce(1), BigInt(start + 10))).toBe(false)
    expect(registry.size).toBe(registry.capacity)
    // And once one expires there is room again
    advanceTo(start + 10)
    expect(registry.claim(alice, nonce(3), BigInt(start + 20))).toBe(true)
  })

  it('seeds nonces from the audit log after a restart, skipping those already past', () => {
    // Given nonces used just before a restart, one of them long expired
    const {registry} = registryAt(start, {clockSkewSeconds: 30})
    const added = registry.seed([
      {requester: alice, nonce: nonce(1), expiry: BigInt(start + 30)},
      {requester: bob, nonce: nonce(2), expiry: BigInt(start - 10)},
      {requester: alice, nonce: nonce(3), expiry: BigInt(start - 31)},
      {requester: alice, nonce: nonce(1), expiry: BigInt(start + 30)},
    ])
    // Then the live ones are remembered once each and their replay is refused
    expect(added).toBe(2)
    expect(registry.size).toBe(2)
    expect(registry.claim(alice, nonce(1), BigInt(start + 30))).toBe(false)
    expect(registry.claim(bob, nonce(2), BigInt(start - 10))).toBe(false)
  })

  it('tells whether a nonce is spent without spending it, and forgets a released claim', () => {
    // Given a nonce claimed, and one only looked at
    const {registry} = registryAt(start, {clockSkewSeconds: 30})
    expect(registry.has(alice, nonce(1))).toBe(false)
    expect(registry.size).toBe(0)
    expect(registry.claim(alice, nonce(1), BigInt(start + 60))).toBe(true)
    expect(registry.has(alice, nonce(1))).toBe(true)
    // When the claim is released (its answer could not be logged), Then the same request may be claimed again
    registry.release(alice, nonce(1))
    expect(registry.has(alice, nonce(1))).toBe(false)
    expect(registry.claim(alice, nonce(1), BigInt(start + 60))).toBe(true)
  })

  it('keeps a nonce claimed again after a release for its new retention, not the old one', () => {
    // Given a claim released and the same nonce claimed again with a later expiry
    const {registry, advanceTo} = registryAt(start, {clockSkewSeconds: 0})
    expect(registry.claim(alice, nonce(1), BigInt(start + 10))).toBe(true)
    registry.release(alice, nonce(1))
    expect(registry.claim(alice, nonce(1), BigInt(start + 50))).toBe(true)
    // When the first claim's retention passes, Then the second is still remembered
    advanceTo(start + 20)
    expect(registry.has(alice, nonce(1))).toBe(true)
    advanceTo(start + 50)
    expect(registry.has(alice, nonce(1))).toBe(false)
  })

  it('refuses malformed entries and options with MedrecError', () => {
    const {registry} = registryAt(start)
    const invalid = expect.objectContaining({code: errorCodes.INVALID_ARGUMENT})
    expect(() => registry.claim('0x1234' as Address, nonce(1), BigInt(start + 60))).toThrow(invalid)
    expect(() => registry.claim(alice, '0x1234', BigInt(start + 60))).toThrow(invalid)
    expect(() => registry.claim(alice, nonce(1), 2n ** 64n - 1n)).toThrow(invalid)
    expect(() => registry.claim(alice, nonce(1), -1n)).toThrow(invalid)
    expect(() => new NonceRegistry({capacity: 0})).toThrow(invalid)
    expect(() => new NonceRegistry({clockSkewSeconds: -1})).toThrow(invalid)
  })
})

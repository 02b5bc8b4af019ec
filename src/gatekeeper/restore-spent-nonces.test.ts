import {randomBytes} from 'node:crypto'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {Address, Hex} from 'viem'
import {describe, expect, it} from 'vitest'

import {openAuditLog, type AuditEntryInput, type RecentNonce} from './audit-log.js'
import {NonceRegistry} from './nonce-registry.js'
import {restoreSpentNonces, spentNonceEntries} from './restore-spent-nonces.js'

/** One MAC key per test file: a log reopened in a test must be opened with the key it was written with. */
const auditKey = randomBytes(32)

const alice: Address = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const nonce = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`
const at = (seconds: number) => new Date(seconds * 1000).toISOString()
const t = 1_900_000_000
const limits = {maxLifetimeSeconds: 300, clockSkewSeconds: 30}

describe('spentNonceEntries', () => {
  it('remembers each allowed request by the expiry it was signed with', () => {
    const recent: RecentNonce[] = [
      {nonce: nonce(1), requester: alice, time: at(t), outcome: 'allowed', expiry: String(t + 20)},
    ]
    expect(spentNonceEntries(recent, limits)).toEqual([{requester: alice, nonce: nonce(1), expiry: BigInt(t + 20)}])
  })

  it('falls back, for a line without expiry, to the latest expiry the verifier accepts: time + lifetime + skew', () => {
    // (The old fallback, time + max lifetime, forgot a request signed for up to 30 s more while still acceptable.)
    const recent: RecentNonce[] = [{nonce: nonce(1), requester: alice, time: at(t), outcome: 'allowed'}]
    expect(spentNonceEntries(recent, limits)).toEqual([{requester: alice, nonce: nonce(1), expiry: BigInt(t + 330)}])
  })

  it('skips refused requests (they spent no nonce) and lines without a requester', () => {
    const recent: RecentNonce[] = [
      {nonce: nonce(1), requester: alice, time: at(t), outcome: 'denied', expiry: String(t + 20)},
      {nonce: nonce(2), requester: null, time: at(t), outcome: 'allowed'},
    ]
    expect(spentNonceEntries(recent, limits)).toEqual([])
  })
})

describe('restoreSpentNonces', () => {
  it('refuses after a restart a request answered before it, until its expiry plus skew, and no longer', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medrec-restore-'))
    try {
      // Given an audit log from a previous run: an allowed request at t that was signed to expire at t + 329
      // (within the verifier's 300 s + 30 s of skew), and a refused one
      const path = join(dir, 'audit.log')
      const log = await openAuditLog(path, {macKey: auditKey})
      const line = (n: number, outcome: 'allowed' | 'denied'): AuditEntryInput => ({
        time: at(t),
        requester: alice,
        relationship: alice,
        action: 'records.read',
        outcome,
        reason: outcome === 'allowed' ? 'ok' : 'not-permitted',
        block: null,
        nonce: nonce(n),
        signatureHash: null,
        expiry: String(t + 329),
      })
      await log.append(line(1, 'allowed'))
      await log.append(line(2, 'denied'))
      await log.close()
      // When a gatekeeper restarts at t + 335 and reads it back
      const clock = {ms: (t + 335) * 1000}
      const registry = new NonceRegistry({clockSkewSeconds: 30, clock: () => clock.ms})
      expect(await restoreSpentNonces(registry, path, {...limits, nowMs: clock.ms})).toBe(1)
      // Then the answered request is still spent (the verifier accepts it until t + 359), the refused one is not
      expect(registry.claim(alice, nonce(1), BigInt(t + 329))).toBe(false)
      expect(registry.has(alice, nonce(2))).toBe(false)
      clock.ms = (t + 358) * 1000
      expect(registry.has(alice, nonce(1))).toBe(true)
      // And it is forgotten once the verifier refuses it as expired whatever it was signed for: by t + 360
      // (t + 359 once the log records each request's expiry; t + 360 by the fallback for lines without it)
      clock.ms = (t + 360) * 1000
      expect(registry.has(alice, nonce(1))).toBe(false)
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })
})

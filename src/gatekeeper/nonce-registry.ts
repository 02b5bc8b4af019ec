import type {Address, Hex} from 'viem'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'

export type NonceRegistryOptions = {
  /**
   * How long past its expiry a nonce is kept. Must be at least the verifier's
   * clockSkewSeconds, which accepts a request until expiry + skew (default 30 s for both).
   */
  clockSkewSeconds?: number
  /**
   * Most nonces held at once. When full, claim refuses (fails closed) rather than
   * forgetting a live nonce, which would let it be replayed. The default holds 5,000
   * claims/s at the verifier's longest lifetime (300 s + 2 × 30 s of skew); at about
   * 200 bytes per nonce that is some 400 MB when full.
   */
  capacity?: number
  /** Milliseconds since the epoch; injectable for tests. */
  clock?: () => number
}

export type NonceRegistryEntry = {requester: Address; nonce: Hex; expiry: bigint}

/**
 * Remembers each (requester, nonce) until the request it came with can no longer be
 * accepted, so every signed request is used once (security promise 6).
 *
 * Nonces are grouped by the second at which they may be forgotten; a min-heap of those
 * seconds finds the due groups. A claim costs O(1) amortised plus O(log b) when it opens
 * a new group, where b is the number of distinct seconds held (a few hundred at most).
 */
export class NonceRegistry {
  readonly capacity: number
  private readonly retentionSeconds: number
  private readonly clock: () => number
  /** Each remembered key and the second it may be forgotten at. */
  private readonly nonces = new Map<string, number>()
  /** The keys to forget at each second. */
  private readonly groups = new Map<number, string[]>()
  private readonly dueSeconds = new MinHeap()

  constructor(options: NonceRegistryOptions = {}) {
    const retention = options.clockSkewSeconds ?? 30
    const capacity = options.capacity ?? 2_000_000
    if (!Number.isSafeInteger(retention) || retention < 0) {
      throw new MedrecError(errorCodes.INVALID_ARGUMENT, 'clockSkewSeconds must be a non-negative integer')
    }
    if (!Number.isSafeInteger(capacity) || capacity <= 0) {
      throw new MedrecError(errorCodes.INVALID_ARGUMENT, 'capacity must be a positive integer')
    }
    this.retentionSeconds = retention
    this.capacity = capacity
    this.clock = options.clock ?? Date.now
  }

  /** Nonces currently remembered. */
  get size(): number {
    return this.nonces.size
  }

  /**
   * True the first time a (requester, nonce) is seen; false for a replay, for a nonce
   * whose retention has already passed (it could not be remembered), or when full.
   */
  claim(requester: Address, nonce: Hex, expiry: bigint): boolean {
    const nowMs = this.clock()
    this.forgetDue(nowMs)
    const forgetAt = this.forgetAt(expiry)
    if (forgetAt * 1000 <= nowMs) return false
    const key = nonceKey(requester, nonce)
    if (this.nonces.has(key)) return false
    if (this.nonces.size >= this.capacity) return false
    this.remember(key, forgetAt)
    return true
  }

  /** True while (requester, nonce) is remembered: a cheap replay check before any chain work. */
  has(requester: Address, nonce: Hex): boolean {
    this.forgetDue(this.clock())
    return this.nonces.has(nonceKey(requester, nonce))
  }

  /**
   * Forgets a claim whose request was not answered after all (its decision could not be
   * logged), so the same signed request may be tried again.
   */
  release(requester: Address, nonce: Hex): void {
    this.nonces.delete(nonceKey(requester, nonce))
  }

  /**
   * Preloads nonces already used before a restart (read back from the audit log), so a
   * request accepted just before the restart cannot be replayed just after. Entries whose
   * retention has passed are skipped; capacity is not applied, since these were accepted
   * under it. Returns how many are now remembered from this call.
   */
  seed(entries: Iterable<NonceRegistryEntry>): number {
    const nowMs = this.clock()
    this.forgetDue(nowMs)
    let added = 0
    for (const entry of entries) {
      const forgetAt = this.forgetAt(entry.expiry)
      if (forgetAt * 1000 <= nowMs) continue
      const key = nonceKey(entry.requester, entry.nonce)
      if (this.nonces.has(key)) continue
      this.remember(key, forgetAt)
      added++
    }
    return added
  }

  private forgetAt(expiry: bigint): number {
    // Past 2^53 ms the arithmetic below would round; no honest request expires then.
    if (typeof expiry !== 'bigint' || expiry < 0n || expiry > 9_000_000_000_000n) {
      throw new MedrecError(
        errorCodes.INVALID_ARGUMENT,
        `nonce expiry ${String(expiry)} is not a plausible Unix time in seconds`,
      )
    }
    return Number(expiry) + this.retentionSeconds
  }

  private remember(key: string, forgetAt: number): void {
    this.nonces.set(key, forgetAt)
    const group = this.groups.get(forgetAt)
    if (group === undefined) {
      this.groups.set(forgetAt, [key])
      this.dueSeconds.push(forgetAt)
    } else {
      group.push(key)
    }
  }

  private forgetDue(nowMs: number): void {
    for (
      let second = this.dueSeconds.peek();
      second !== undefined && second * 1000 <= nowMs;
      second = this.dueSeconds.peek()
    ) {
      this.dueSeconds.pop()
      // A key released and claimed again belongs to its newer group, not this one.
      for (const key of this.groups.get(second) ?? []) if (this.nonces.get(key) === second) this.nonces.delete(key)
      this.groups.delete(second)
    }
  }
}

/** One string per (requester, nonce), case-insensitive: 104 hex characters. */
function nonceKey(requester: Address, nonce: Hex): string {
  if (!/^0x[0-9a-fA-F]{40}$/.test(requester) || !/^0x[0-9a-fA-F]{64}$/.test(nonce)) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, 'a nonce entry needs a 20-byte requester and a 32-byte nonce')
  }
  return (requester.slice(2) + nonce.slice(2)).toLowerCase()
}

/** A binary min-heap of numbers. */
class MinHeap {
  private readonly items: number[] = []

  peek(): number | undefined {
    return this.items[0]
  }

  push(value: number): void {
    const items = this.items
    let index = items.push(value) - 1
    while (index > 0) {
      const parent = (index - 1) >> 1
      if (items[parent]! <= value) break
      items[index] = items[parent]!
      index = parent
    }
    items[index] = value
  }

  pop(): number | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (top === undefined || last === undefined || items.length === 0) return top
    let index = 0
    for (;;) {
      const left = 2 * index + 1
      if (left >= items.length) break
      const right = left + 1
      const child = right < items.length && items[right]! < items[left]! ? right : left
      if (items[child]! >= last) break
      items[index] = items[child]!
      index = child
    }
    items[index] = last
    return top
  }
}

import {isIPv4, isIPv6} from 'node:net'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'

/** A token bucket's terms: `perSecond` refill, at most `burst` saved up. */
export type RateLimit = {perSecond: number; burst: number}

export type TokenBucketsOptions = RateLimit & {
  /** Most keys tracked at once; the least recently used is forgotten first. */
  maxEntries: number
  /** Milliseconds; injectable for tests. */
  clock?: () => number
}

type Bucket = {tokens: number; updatedMs: number}

/**
 * One token bucket per key (a requester, a source address), in bounded memory: keys live
 * in a Map kept in least-recently-used order (a touched key is re-inserted at the end),
 * an idle key (one whose bucket has refilled, so forgetting it changes nothing) is dropped
 * from the front as others are touched, and past `maxEntries` the least recently used is
 * dropped whatever its state. Every operation is O(1), so it sits on the hot path.
 *
 * Forgetting a key that is not idle hands it a full bucket again; that needs `maxEntries`
 * other keys to be touched in between, which per-source quotas make expensive.
 */
export class TokenBuckets {
  readonly perSecond: number
  readonly burst: number
  readonly maxEntries: number
  private readonly clock: () => number
  private readonly buckets = new Map<string, Bucket>()
  /** Milliseconds an empty bucket takes to refill; Infinity when it never does. */
  private readonly refillMs: number

  constructor(options: TokenBucketsOptions) {
    checkRateLimit(options, 'quota')
    if (!Number.isSafeInteger(options.maxEntries) || options.maxEntries < 1) {
      const message = `quota maxEntries must be a positive integer, not ${options.maxEntries}`
      throw new MedrecError(errorCodes.INVALID_ARGUMENT, message)
    }
    this.perSecond = options.perSecond
    this.burst = options.burst
    this.maxEntries = options.maxEntries
    this.clock = options.clock ?? Date.now
    this.refillMs = options.perSecond > 0 ? (options.burst / options.perSecond) * 1000 : Number.POSITIVE_INFINITY
  }

  /** Keys tracked now. */
  get size(): number {
    return this.buckets.size
  }

  /** Takes one token for `key`; false when its bucket is empty. */
  take(key: string): boolean {
    const now = this.clock()
    this.dropIdle(now)
    let bucket = this.buckets.get(key)
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxEntries) this.buckets.delete(this.buckets.keys().next().value!)
      bucket = {tokens: this.burst, updatedMs: now}
    } else {
      this.buckets.delete(key)
      const refilled = (Math.max(0, now - bucket.updatedMs) * this.perSecond) / 1000
      bucket.tokens = Math.min(this.burst, bucket.tokens + refilled)
      bucket.updatedMs = now
    }
    this.buckets.set(key, bucket)
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }

  /** Drops at most two idle keys from the least recently used end: amortised, it keeps pace. */
  private dropIdle(now: number): void {
    for (let i = 0; i < 2; i++) {
      const first = this.buckets.entries().next()
      if (first.done) return
      const [key, bucket] = first.value
      if (now - bucket.updatedMs < this.refillMs) return
      this.buckets.delete(key)
    }
  }
}

/** Checks a RateLimit's numbers, naming `what` in the error. */
export function checkRateLimit(limit: RateLimit, what: string): void {
  const rateOk = Number.isFinite(limit.perSecond) && limit.perSecond >= 0
  const burstOk = Number.isFinite(limit.burst) && limit.burst >= 1
  if (!rateOk || !burstOk) {
    const message = `${what}: perSecond must be a non-negative number and burst at least 1`
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, message, {
      details: [`perSecond: ${limit.perSecond}`, `burst: ${limit.burst}`],
    })
  }
}

/**
 * The key a source address is counted under: an IPv4 address as it is (also when it
 * arrives IPv4-mapped, ::ffff:a.b.c.d), an IPv6 address by its /64, since one host is
 * routinely given a whole /64 and could otherwise pick a fresh address per request.
 */
export function sourceAddressKey(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined) return 'unknown'
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(remoteAddress)
  if (mapped) return mapped[1]!
  if (isIPv4(remoteAddress)) return remoteAddress
  if (!isIPv6(remoteAddress)) return remoteAddress
  const withoutZone = remoteAddress.split('%')[0]!
  const [head = '', tail = ''] = withoutZone.split('::')
  const headGroups = head === '' ? [] : head.split(':')
  const tailGroups = tail === '' ? [] : tail.split(':')
  const zeros = Array<string>(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill('0')
  const groups = withoutZone.includes('::') ? [...headGroups, ...zeros, ...tailGroups] : headGroups
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`
}

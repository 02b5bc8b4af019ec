import {recentNonces, type RecentNonce} from './audit-log.js'
import type {NonceRegistry, NonceRegistryEntry} from './nonce-registry.js'

export type RestoreSpentNoncesOptions = {
  /** The verifier's longest request lifetime (s). */
  maxLifetimeSeconds: number
  /** The verifier's clock skew (s): a request is accepted until expiry + skew. */
  clockSkewSeconds: number
  /** Milliseconds since the epoch; injectable for tests. */
  nowMs?: number
}

/** Past this (in seconds) an expiry is not one this gatekeeper accepted: 2^53 ms. */
const latestPlausibleExpiry = 9_000_000_000_000n

/**
 * The nonces of requests answered before a restart, each with the expiry it was signed
 * with: remembered until expiry + skew, exactly as long as the verifier would still take
 * the request. A line written before the expiry was logged falls back to the latest
 * expiry the verifier accepts at the line's time: time + max lifetime + skew.
 * Only allowed requests spent their nonce; refused ones may be tried again.
 */
export function spentNonceEntries(
  recent: readonly RecentNonce[],
  options: Omit<RestoreSpentNoncesOptions, 'nowMs'>,
): NonceRegistryEntry[] {
  const entries: NonceRegistryEntry[] = []
  for (const line of recent) {
    if (line.outcome !== 'allowed' || line.requester === null) continue
    const signed = typeof line.expiry === 'string' && /^\d{1,16}$/.test(line.expiry) ? BigInt(line.expiry) : undefined
    const expiry =
      signed !== undefined && signed <= latestPlausibleExpiry
        ? signed
        : BigInt(Math.ceil(Date.parse(line.time) / 1000) + options.maxLifetimeSeconds + options.clockSkewSeconds)
    entries.push({requester: line.requester, nonce: line.nonce, expiry})
  }
  return entries
}

/**
 * Reads the audit log's recent allowed requests into `registry`, so a request answered
 * just before a restart cannot be replayed just after. Returns how many were remembered.
 */
export async function restoreSpentNonces(
  registry: NonceRegistry,
  auditPath: string,
  options: RestoreSpentNoncesOptions,
): Promise<number> {
  const nowMs = options.nowMs ?? Date.now()
  // Older lines cannot hold a live nonce: the latest expiry accepted, plus skew, plus a minute of slack.
  const sinceMs = nowMs - (options.maxLifetimeSeconds + 2 * options.clockSkewSeconds + 60) * 1000
  const recent = await recentNonces(auditPath, sinceMs)
  return registry.seed(spentNonceEntries(recent, options))
}

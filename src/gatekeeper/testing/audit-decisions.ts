// Test support: access decisions to fill audit logs with.
import type {AuditEntryInput} from '../audit-log.js'

/** An allowed read that names no requester, relationship or block; `n` makes each one different. */
export function anonymousRead(n: number): AuditEntryInput {
  return {
    time: new Date(Date.UTC(2025, 0, 1, 12, 0, n)).toISOString(),
    requester: null,
    relationship: null,
    action: 'records.read',
    outcome: 'allowed',
    reason: 'ok',
    block: null,
    nonce: `0x${n.toString(16).padStart(64, 'c')}`,
    signatureHash: null,
    expiry: String(1_735_733_000 + n),
  }
}

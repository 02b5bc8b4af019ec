// Test support: audit logs in temporary directories, and access decisions to fill them with.
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {openAuditLog, type AuditEntryInput, type AuditLog} from '../audit-log.js'

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

/**
 * A new audit log (`audit.log`, MACed with `macKey`) open in a temporary directory. Disposal
 * closes it (again, if the test did) and removes the directory.
 */
export async function temporaryAuditLog(
  macKey: Uint8Array,
): Promise<{dir: string; path: string; log: AuditLog} & AsyncDisposable> {
  const dir = await mkdtemp(join(tmpdir(), 'medrec-audit-'))
  const path = join(dir, 'audit.log')
  const log = await openAuditLog(path, {macKey})
  return {
    dir,
    path,
    log,
    [Symbol.asyncDispose]: async () => {
      await log.close().catch(() => {})
      await rm(dir, {recursive: true, force: true})
    },
  }
}

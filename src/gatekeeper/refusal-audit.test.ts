import {randomBytes} from 'node:crypto'
import {mkdtemp, readFile, rm, symlink} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {openAuditLog, verifyAuditLog, type AuditEntryInput} from './audit-log.js'
import {RefusalAudit, refusalSummaryAction} from './refusal-audit.js'

/** One MAC key per test file: a log reopened in a test must be opened with the key it was written with. */
const auditKey = randomBytes(32)

async function temporaryDirectory(): Promise<{dir: string; [Symbol.asyncDispose](): Promise<void>}> {
  const dir = await mkdtemp(join(tmpdir(), 'medrec-refusals-'))
  return {dir, [Symbol.asyncDispose]: () => rm(dir, {recursive: true, force: true})}
}

function junk(reason: string): AuditEntryInput {
  const nothing = {requester: null, relationship: null, block: null, nonce: null, signatureHash: null, expiry: null}
  return {time: new Date().toISOString(), action: 'records.read', outcome: 'denied', reason, ...nothing}
}

async function logLines(path: string): Promise<Record<string, unknown>[]> {
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

async function linesAppear(path: string, count: number): Promise<void> {
  const deadline = Date.now() + 5000
  while (Date.now() < deadline) {
    if ((await logLines(path)).length >= count) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`${path} never reached ${count} lines`)
}

describe('RefusalAudit', () => {
  it('gives the first refusals a line each, counts the rest, and writes one summary line per reason', async () => {
    await using tmp = await temporaryDirectory()
    // Given a real audit log and a budget of 3 individual lines that never refills
    const path = join(tmp.dir, 'audit.log')
    const audit = await openAuditLog(path, {macKey: auditKey})
    const refusals = new RefusalAudit(audit, {lines: {perSecond: 0, burst: 3}, summaryIntervalMs: 60_000})
    // When 10,000 junk requests are refused for three reasons
    const outcomes = {logged: 0, counted: 0}
    const reasons = ['bad-signature', 'missing-auth', 'source-quota']
    for (let i = 0; i < 10_000; i++) outcomes[await refusals.record(junk(reasons[i % 3]!))]++
    await refusals.close()
    await audit.close()
    // Then 3 got lines of their own and the other 9,997 are in three summary lines that account for every one
    expect(outcomes).toEqual({logged: 3, counted: 9997})
    const lines = await logLines(path)
    expect(lines).toHaveLength(6)
    const summaries = lines.filter((l) => l.action === refusalSummaryAction)
    const counts = summaries.map((l) => l.reason).sort()
    expect(counts).toEqual(['bad-signature:3333', 'missing-auth:3332', 'source-quota:3332'])
    expect(summaries.every((l) => l.outcome === 'denied' && l.requester === null && l.nonce === null)).toBe(true)
    // And the log's chain is intact
    expect(await verifyAuditLog(path, {macKey: auditKey})).toMatchObject({ok: true, entries: 6})
  })

  it('writes summaries every interval, and only for reasons seen since the last one', async () => {
    await using tmp = await temporaryDirectory()
    const path = join(tmp.dir, 'audit.log')
    const audit = await openAuditLog(path, {macKey: auditKey})
    const refusals = new RefusalAudit(audit, {lines: {perSecond: 0, burst: 1}, summaryIntervalMs: 100})
    await refusals.record(junk('expired'))
    for (let i = 0; i < 5; i++) await refusals.record(junk('expired'))
    // (the timer writes them: wait for it rather than calling flush)
    await linesAppear(path, 2)
    await refusals.record(junk('high-s'))
    await linesAppear(path, 3)
    await refusals.close()
    await audit.close()
    const written = (await logLines(path)).map((l) => `${l.action} ${l.reason}`)
    const summary = (reason: string) => `${refusalSummaryAction} ${reason}`
    expect(written).toEqual(['records.read expired', summary('expired:5'), summary('high-s:1')])
  })

  it('keeps the counts when the summary cannot be written, and rejects an individual line that cannot', async () => {
    await using tmp = await temporaryDirectory()
    // Given an audit log on a full device
    const path = join(tmp.dir, 'audit.log')
    await symlink('/dev/full', path)
    const audit = await openAuditLog(path, {macKey: auditKey})
    const refusals = new RefusalAudit(audit, {lines: {perSecond: 0, burst: 1}, summaryIntervalMs: 60_000})
    // When a refusal is to get its own line, Then that fails like any append
    await expect(refusals.record(junk('expired'))).rejects.toMatchObject({code: 'MEDREC_AUDIT_LOG_WRITE_FAILED'})
    // And counted refusals survive a failed summary, for the next try
    await refusals.record(junk('expired'))
    await refusals.record(junk('expired'))
    await refusals.flush()
    expect(refusals.pending.get('expired')).toBe(2)
    await refusals.close()
    await audit.close().catch(() => undefined)
  })
})

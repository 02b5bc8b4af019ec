import {randomBytes} from 'node:crypto'
import {closeSync, readdirSync, readlinkSync} from 'node:fs'
import {appendFile, mkdir, mkdtemp, readFile, rename, rm, stat, symlink, truncate, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {
  auditEntryHash,
  auditEntryMac,
  auditGenesisHash,
  openAuditLog,
  recentNonces,
  verifyAuditLog,
  type AuditAnchor,
  type AuditEntry,
  type AuditEntryInput,
  type AuditLog,
} from './audit-log.js'
import {temporaryAuditLog} from './testing/audit-log-fixtures.js'
import {runSourceScript, sourceUrl} from './testing/source-script.js'

async function temporaryDirectory(): Promise<{dir: string; [Symbol.asyncDispose](): Promise<void>}> {
  const dir = await mkdtemp(join(tmpdir(), 'medrec-audit-'))
  return {dir, [Symbol.asyncDispose]: () => rm(dir, {recursive: true, force: true})}
}

const requester = '0x1000000000000000000000000000000000000001'
/** The audit key every log in these tests is MACed with. */
const macKey = randomBytes(32)
const relationship = '0x2000000000000000000000000000000000000002'

/** A decision; `n` makes each one different. */
function decision(n: number, overrides: Partial<AuditEntryInput> = {}): AuditEntryInput {
  return {
    time: new Date(Date.UTC(2025, 0, 1, 12, 0, n)).toISOString(),
    requester,
    relationship,
    action: 'records.read',
    outcome: n % 3 === 0 ? 'denied' : 'allowed',
    reason: n % 3 === 0 ? 'not-permitted' : 'ok',
    block: {number: String(1000 + n), hash: `0x${n.toString(16).padStart(64, 'b')}`},
    nonce: `0x${n.toString(16).padStart(64, 'c')}`,
    signatureHash: `0x${n.toString(16).padStart(64, 'd')}`,
    ...overrides,
  }
}

async function writeLog(path: string, count: number): Promise<AuditEntry[]> {
  const log = await openAuditLog(path, {macKey})
  try {
    return await Promise.all(Array.from({length: count}, (_, i) => log.append(decision(i + 1))))
  } finally {
    await log.close()
  }
}

/** Asserts that appends to `log` are refused from now on (twice over), the first one matching `first` as well. */
async function expectAppendsRefused(log: AuditLog, first: Record<string, unknown> = {}): Promise<void> {
  await expect(log.append(decision(101))).rejects.toMatchObject({code: errorCodes.AUDIT_LOG_WRITE_FAILED, ...first})
  await expect(log.append(decision(102))).rejects.toMatchObject({code: errorCodes.AUDIT_LOG_WRITE_FAILED})
}

async function lines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8')).split('\n').slice(0, -1)
}

/** The descriptor numbers this process holds open on `path`, from /proc. */
function descriptorsOf(path: string): number[] {
  return readdirSync('/proc/self/fd')
    .filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === path
      } catch {
        return false
      }
    })
    .map(Number)
}

describe('audit log', () => {
  it('writes one JSON line per decision, hash-chained from the zero hash, that verifies', async () => {
    // Given five decisions appended to a new log
    await using tmp = await temporaryDirectory()
    const path = join(tmp.dir, 'audit.log')
    const entries = await writeLog(path, 5)

    // Then each line is its entry, chained to the one before
    const written = (await lines(path)).map((line) => JSON.parse(line) as AuditEntry)
    expect(written).toEqual(entries)
    expect(written.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5])
    expect(written[0]?.prev).toBe(auditGenesisHash)
    for (const [i, entry] of written.entries()) {
      const {hash, mac, ...rest} = entry
      expect(hash).toBe(auditEntryHash(rest))
      expect(mac).toBe(auditEntryMac(macKey, hash))
      if (i > 0) expect(entry.prev).toBe(written[i - 1]?.hash)
    }
    expect(written[1]).toEqual({
      seq: 2,
      ...decision(2),
      prev: written[0]?.hash,
      hash: expect.stringMatching(/^0x[0-9a-f]{64}$/),
      mac: expect.stringMatching(/^0x[0-9a-f]{64}$/),
    })

    // And the chain verifies, MACs included
    expect(await verifyAuditLog(path, {macKey})).toEqual({
      ok: true,
      entries: 5,
      lastHash: entries[4]?.hash,
      macChecked: true,
      anchors: [],
    })
  })

  it('keeps the order in which appends were called, however many are in flight', async () => {
    await using tmp = await temporaryDirectory()
    const path = join(tmp.dir, 'audit.log')
    const entries = await writeLog(path, 1000)
    expect(entries.map((e) => e.seq)).toEqual(Array.from({length: 1000}, (_, i) => i + 1))
    expect(entries.map((e) => e.time)).toEqual(Array.from({length: 1000}, (_, i) => decision(i + 1).time))
    expect(await verifyAuditLog(path, {macKey})).toMatchObject({ok: true, entries: 1000})
  })

  it('continues the chain after it is closed and opened again', async () => {
    // Given a log with three entries, closed
    await using tmp = await temporaryDirectory()
    const path = join(tmp.dir, 'audit.log')
    const first = await writeLog(path, 3)

    // When it is opened again and two more are appended
    const log = await openAuditLog(path, {macKey})
    const fourth = await log.append(decision(4))
    await log.append(decision(5))
    await log.close()

    // Then the chain runs on from the last line
    expect(fourth).toMatchObject({seq: 4, prev: first[2]?.hash})
    expect(await verifyAuditLog(path, {macKey})).toMatchObject({ok: true, entries: 5})
  })

  it('starts a new chain in an empty file, and creates the file readable by its owner only', async () => {
    await using tmp = await temporaryDirectory()
    const empty = join(tmp.dir, 'empty.log')
    await writeFile(empty, '')
    const [entry] = await writeLog(empty, 1)
    expect(entry).toMatchObject({seq: 1, prev: auditGenesisHash})

    const created = join(tmp.dir, 'new.log')
    await writeLog(created, 1)
    const {mode} = await stat(created)
    expect(mode & 0o777).toBe(0o600)
  })

  it('detects a change to any field of any line, at that line', async () => {
    // Given a valid log of four lines
    await using tmp = await temporaryDirectory()
    const path = join(tmp.dir, 'audit.log')
    await writeLog(path, 4)
    const original = await lines(path)
    const changes: Record<string, (value: unknown) => unknown> = {
      seq: (v) => (v as number) + 10,
      time: () => '2020-01-01T00:00:00.000Z',
      requester: () => '0x3000000000000000000000000000000000000003',
      relationship: () => null,
      action: () => 'records.write',
      outcome: (v) => (v === 'allowed' ? 'denied' : 'allowed'),
      reason: () => 'ok-really',
      block: () => ({number: '1', hash: `0x${'e'.repeat(64)}`}),
      nonce: () => null,
      signatureHash: () => `0x${'f'.repeat(64)}`,
      expiry: () => '1999999999',
      prev: () => `0x${'1'.repeat(64)}`,
      hash: () => `0x${'2'.repeat(64)}`,
      mac: () => `0x${'3'.repeat(64)}`,
      added: () => 'a field that was not there',
    }
    const edited = join(tmp.dir, 'edited.log')
    for (let index = 0; index < original.length; index++) {
      for (const [field, change] of Object.entries(changes)) {
        // When one field of one line is changed
        const entry = JSON.parse(original[index]!) as Record<string, unknown>
        entry[field] = change(entry[field])
        const copy = [...original]
        copy[index] = JSON.stringify(entry)
        await writeFile(edited, `${copy.join('\n')}\n`)

        // Then verification fails at that line
        const result = await verifyAuditLog(edited, {macKey})
        expect(result, `${field} on line ${index + 1}`).toMatchObject({
          ok: false,
          entries: index,
          problem: {line: index + 1},
        })
      }
    }
  })

  it('detects a deleted line and reordered lines, at the first line out of place', async () => {
    // Given a valid log of five lines
    await using tmp = await temporaryDirectory()
    const path = join(tmp.dir, 'audit.log')
    await writeLog(path, 5)
    const original = await lines(path)
    const check = async (changed: string[]) => {
      const copy = join(tmp.dir, 'changed.log')
      await writeFile(copy, `${changed.join('\n')}\n`)
      return verifyAuditLog(copy, {macKey})
    }

    // Then a deleted line is found where it is missing, and a swap at its first line
    expect(await check(original.filter((_, i) => i !== 2))).toMatchObject({
      ok: false,
      entries: 2,
      problem: {line: 3, reason: expect.stringMatching(/^seq is 4 where 3/)},
    })
    expect(await check(original.slice(1))).toMatchObject({ok: false, entries: 0, problem: {line: 1}})
    const swapped = [...original]
    ;[swapped[1], swapped[2]] = [swapped[2]!, swapped[1]!]
    expect(await check(swapped)).toMatchObject({ok: false, entries: 1, problem: {line: 2}})
    expect(await check([...original.slice(0, 3), original[2]!, ...original.slice(3)])).toMatchObject({
      ok: false,
      problem: {line: 4},
    })
    expect(await check([...original.slice(0, 2), '', ...original.slice(2)])).toMatchObject({
      ok: false,
      problem: {line: 3, reason: 'the line is empty'},
    })
  })

  it('detects a file cut off in the middle of a line, and refuses to continue it', async () => {
    // Given a log whose last line lost its end (a crash, a full disk)
    await using tmp = await temporaryDirectory()
    const path = join(tmp.dir, 'audit.log')
    const entries = await writeLog(path, 4)
    const size = (await readFile(path)).length
    await truncate(path, size - 20)

    // Then verification names the last line, having verified the three before
    expect(await verifyAuditLog(path, {macKey})).toMatchObject({
      ok: false,
      entries: 3,
      lastHash: entries[2]?.hash,
      problem: {line: 4, reason: expect.stringMatching(/incomplete/)},
    })

    // And the log is not continued on top of it: the error points to `audit verify`
    await expect(openAuditLog(path, {macKey})).rejects.toMatchObject({
      code: errorCodes.AUDIT_LOG_CORRUPT,
      message: expect.stringMatching(/last line is incomplete/),
      hint: expect.stringContaining('medrec gatekeeper audit verify'),
    })
  })

  it('refuses to continue a log whose last line was changed', async () => {
    await using tmp = await temporaryDirectory()
    const path = join(tmp.dir, 'audit.log')
    await writeLog(path, 3)
    const original = await lines(path)
    await writeFile(
      path,
      `${[...original.slice(0, 2), original[2]!.replace('"records.read"', '"records.list"')].join('\n')}\n`,
    )
    await expect(openAuditLog(path, {macKey})).rejects.toMatchObject({
      code: errorCodes.AUDIT_LOG_CORRUPT,
      message: expect.stringMatching(/does not match its hash/),
    })
    await writeFile(path, `${original.join('\n')}\n{"not": "an entry"}\n`)
    await expect(openAuditLog(path, {macKey})).rejects.toMatchObject({code: errorCodes.AUDIT_LOG_CORRUPT})
  })

  it('rejects an append when the disk is full, and every later one', async () => {
    // Given a log whose path leads to /dev/full, where every write fails with ENOSPC
    await using tmp = await temporaryDirectory()
    const path = join(tmp.dir, 'audit.log')
    await symlink('/dev/full', path)
    const log = await openAuditLog(path, {macKey})
    try {
      // Then appends reject, saying why, so the caller denies the request
      await expectAppendsRefused(log, {
        message: expect.stringMatching(/\(ENOSPC\)/),
        hint: expect.stringMatching(/disk space/),
      })
    } finally {
      await log.close()
    }
  })

  it('rejects appends once its directory is removed, instead of writing to a deleted file', async () => {
    // Given a log in a directory, with one entry
    await using tmp = await temporaryDirectory()
    const dir = join(tmp.dir, 'logs')
    await mkdir(dir)
    const log = await openAuditLog(join(dir, 'audit.log'), {macKey})
    try {
      await log.append(decision(1))

      // When the directory is removed under it
      await rm(dir, {recursive: true})

      // Then appends reject
      await expectAppendsRefused(log, {message: expect.stringMatching(/moved, deleted or replaced/)})
    } finally {
      await log.close()
    }
  })

  it('rejects appends once the file is renamed away (rotated under it)', async () => {
    await using file = await temporaryAuditLog(macKey)
    const {path, log} = file
    await log.append(decision(1))
    await rename(path, `${path}.1`)
    await writeFile(path, '')
    await expectAppendsRefused(log)
    expect(await readFile(path, 'utf8')).toBe('')
  })

  it('rejects an append when its file descriptor is closed underneath it', async () => {
    // Given an open log
    await using file = await temporaryAuditLog(macKey)
    const {path, log} = file
    await log.append(decision(1))

    // When its descriptor is closed behind its back
    const fds = descriptorsOf(path)
    expect(fds).toHaveLength(1)
    closeSync(fds[0]!)

    // Then the next append rejects
    await expect(log.append(decision(2))).rejects.toMatchObject({
      code: errorCodes.AUDIT_LOG_WRITE_FAILED,
      message: expect.stringMatching(/EBADF/),
    })
    await log.close()
    expect(await verifyAuditLog(path, {macKey})).toMatchObject({ok: true, entries: 1})
  })

  it('after a failed write, keeps the file ending on a complete line so it can be continued', async () => {
    // Given a process whose file size limit (ulimit -f) stops the log part-way through a batch
    await using tmp = await temporaryDirectory()
    const path = join(tmp.dir, 'audit.log')
    const result = await runLimitedWriter(path)

    // Then some appends succeeded and the rest were rejected for the size limit
    expect(result.resolved).toBeGreaterThan(0)
    expect(result.rejected.length).toBeGreaterThan(0)
    expect(new Set(result.rejected)).toEqual(new Set([errorCodes.AUDIT_LOG_WRITE_FAILED]))

    // And the partial line was cut off: the file verifies, holding exactly the appends that succeeded
    expect(await verifyAuditLog(path, {macKey})).toMatchObject({ok: true, entries: result.resolved})

    // And without the limit the log continues
    const log = await openAuditLog(path, {macKey})
    expect(await log.append(decision(1))).toMatchObject({seq: result.resolved + 1})
    await log.close()
    expect(await verifyAuditLog(path, {macKey})).toMatchObject({ok: true, entries: result.resolved + 1})
  })

  it('refuses entries with malformed fields and logs no field it does not know', async () => {
    await using file = await temporaryAuditLog(macKey)
    const {path, log} = file
    // When an entry carries malformed fields
    const bad = {
      ...decision(1),
      time: 'yesterday',
      requester: 'alice',
      outcome: 'maybe',
      block: {number: '-1', hash: '0x1'},
    } as unknown as AuditEntryInput
    await expect(log.append(bad)).rejects.toMatchObject({
      code: errorCodes.INVALID_ARGUMENT,
      details: [
        expect.stringMatching(/^time:/),
        expect.stringMatching(/^requester:/),
        expect.stringMatching(/^outcome:/),
        expect.stringMatching(/^block:/),
      ],
    })

    // And when one carries an extra field, e.g. record contents
    const extra = {...decision(2), record: {resourceType: 'Patient', name: 'Jane Doe'}} as unknown as AuditEntryInput
    const entry = await log.append(extra)

    // Then only the known fields are written
    expect(entry).not.toHaveProperty('record')
    await log.close()
    expect(await readFile(path, 'utf8')).not.toContain('Jane')
    expect(await verifyAuditLog(path, {macKey})).toMatchObject({ok: true, entries: 1})
  })

  it('refuses to open a log that is already open in this process', async () => {
    await using file = await temporaryAuditLog(macKey)
    const {path, log} = file
    await expect(openAuditLog(path, {macKey})).rejects.toMatchObject({
      code: errorCodes.AUDIT_LOG_WRITE_FAILED,
      message: expect.stringMatching(/already open/),
    })
    await log.close()
    await (await openAuditLog(path, {macKey})).close()
  })

  it('says when there is no log to verify, or its directory does not exist', async () => {
    await using tmp = await temporaryDirectory()
    await expect(verifyAuditLog(join(tmp.dir, 'none.log'))).rejects.toMatchObject({code: errorCodes.FILE_ACCESS})
    await expect(openAuditLog(join(tmp.dir, 'missing', 'audit.log'), {macKey})).rejects.toMatchObject({
      code: errorCodes.AUDIT_LOG_WRITE_FAILED,
      hint: expect.stringMatching(/directory does not exist/),
    })
  })

  it('appends at least several thousand entries a second', async () => {
    // Given a new log
    await using file = await temporaryAuditLog(macKey)
    const {path, log} = file

    // When 20,000 requests are logged as a busy gatekeeper would (many in flight)
    const started = performance.now()
    await Promise.all(Array.from({length: 20_000}, (_, i) => log.append(decision(i % 60))))
    await log.close()
    const seconds = (performance.now() - started) / 1000

    // Then it took well under the time a per-line write or fsync would (a loose bound, for busy CI machines)
    expect(seconds).toBeLessThan(4)
    expect(await verifyAuditLog(path, {macKey})).toMatchObject({ok: true, entries: 20_000})
  })
})

/**
 * What a tamperer who can write the file does to hide a change: renumber the lines and
 * recompute every hash from `from` on. With `key` it also recomputes the MACs (it holds
 * the audit key); without, the old MACs stay (it cannot compute new ones).
 */
function rechain(entries: Record<string, unknown>[], from: number, key?: Buffer): string[] {
  const out: Record<string, unknown>[] = []
  for (const [i, original] of entries.entries()) {
    if (i < from) {
      out.push(original)
      continue
    }
    const {hash: _hash, mac, ...rest} = original
    const withoutHash = {...rest, seq: i + 1, prev: i === 0 ? auditGenesisHash : (out[i - 1]!.hash as string)}
    const hash = auditEntryHash(withoutHash as Omit<AuditEntry, 'hash' | 'mac'>)
    out.push({...withoutHash, hash, mac: key ? auditEntryMac(key, hash) : mac})
  }
  return out.map((entry) => JSON.stringify(entry))
}

/** An anchor as read from the chain, for entry `entries` with hash `head`. */
function anchorAt(entries: number, head: string, block = 100 + entries): AuditAnchor {
  return {
    entries,
    head: head as `0x${string}`,
    block: String(block),
    transactionHash: `0x${block.toString(16).padStart(64, 'a')}`,
    time: new Date(Date.UTC(2025, 0, 2, 0, 0, entries)).toISOString(),
  }
}

async function writeLines(path: string, lines: string[]): Promise<void> {
  await writeFile(path, `${lines.join('\n')}\n`)
}

describe('audit log tampering', () => {
  it('detects a deleted line when the chain was recomputed without the audit key', async () => {
    // Given a valid log of five lines
    await using tmp = await temporaryDirectory()
    const path = join(tmp.dir, 'audit.log')
    await writeLog(path, 5)
    const entries = (await lines(path)).map((line) => JSON.parse(line) as Record<string, unknown>)

    // When line 3 is deleted and seq, prev and hash are recomputed from there on
    await writeLines(
      path,
      rechain(
        entries.filter((_, i) => i !== 2),
        2,
      ),
    )

    // Then the sha256 chain alone no longer shows it
    expect(await verifyAuditLog(path)).toMatchObject({ok: true, entries: 4, macChecked: false})

    // But with the audit key, verification fails at the first recomputed line
    expect(await verifyAuditLog(path, {macKey})).toMatchObject({
      ok: false,
      entries: 2,
      macChecked: true,
      problem: {line: 3, reason: expect.stringMatching(/MAC/)},
    })
  })

  it('detects an edited field with the chain recomputed without the key, or MACs made with another key', async () => {
    // Given a valid log of four lines whose third is a refusal
    await using tmp = await temporaryDirectory()
    const path = join(tmp.dir, 'audit.log')
    await writeLog(path, 4)
    const entries = (await lines(path)).map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(entries[2]).toMatchObject({outcome: 'denied'})

    // When the refusal is turned into an allowed read and the chain recomputed, old MACs kept
    entries[2] = {...entries[2], outcome: 'allowed', reason: 'ok'}
    await writeLines(path, rechain(entries, 2))

    // Then verification with the key fails at that line
    expect(await verifyAuditLog(path, {macKey})).toMatchObject({
      ok: false,
      entries: 2,
      problem: {line: 3, reason: expect.stringMatching(/does not match its MAC/)},
    })

    // And MACs recomputed with a key the tamperer made up fail the same way
    await writeLines(path, rechain(entries, 2, randomBytes(32)))
    expect(await verifyAuditLog(path, {macKey})).toMatchObject({ok: false, entries: 2, problem: {line: 3}})

    // And MACs stripped altogether are refused, not taken for an older format
    await writeLines(
      path,
      rechain(entries, 2).map((line, i) => (i < 2 ? line : JSON.stringify({...JSON.parse(line), mac: undefined}))),
    )
    expect(await verifyAuditLog(path, {macKey})).toMatchObject({
      ok: false,
      entries: 2,
      problem: {line: 3, reason: expect.stringMatching(/no valid MAC/)},
    })
  })

  it('refuses to continue a log whose last line was forged, or with another key', async () => {
    // Given a valid log
    await using tmp = await temporaryDirectory()
    const path = join(tmp.dir, 'audit.log')
    await writeLog(path, 3)
    const entries = (await lines(path)).map((line) => JSON.parse(line) as Record<string, unknown>)

    // Then another key neither continues nor verifies it
    const otherKey = randomBytes(32)
    await expect(openAuditLog(path, {macKey: otherKey})).rejects.toMatchObject({
      code: errorCodes.AUDIT_LOG_CORRUPT,
      message: expect.stringMatching(/MAC/),
    })
    expect(await verifyAuditLog(path, {macKey: otherKey})).toMatchObject({ok: false, entries: 0, problem: {line: 1}})

    // When a line is forged onto the end with a correct hash but no valid MAC
    await writeLines(path, rechain([...entries, {...entries[2], time: '2025-01-01T13:00:00.000Z'}], 3))

    // Then the gatekeeper does not continue the log, and verification names the line
    await expect(openAuditLog(path, {macKey})).rejects.toMatchObject({
      code: errorCodes.AUDIT_LOG_CORRUPT,
      message: expect.stringMatching(/MAC/),
    })
    expect(await verifyAuditLog(path, {macKey})).toMatchObject({ok: false, entries: 3, problem: {line: 4}})

    // And a key shorter than 32 bytes is refused outright
    await expect(openAuditLog(join(tmp.dir, 'other.log'), {macKey: randomBytes(16)})).rejects.toMatchObject({
      code: errorCodes.INVALID_ARGUMENT,
    })
  })

  it('detects the last line cut off below an anchor; past the last anchor a shorter valid log remains', async () => {
    // Given a log of five lines, anchored at entries 3 and 5
    await using tmp = await temporaryDirectory()
    const path = join(tmp.dir, 'audit.log')
    const written = await writeLog(path, 5)
    const anchors = [anchorAt(3, written[2]!.hash), anchorAt(5, written[4]!.hash)]
    expect(await verifyAuditLog(path, {macKey, anchors})).toMatchObject({
      ok: true,
      entries: 5,
      anchors: [
        {entries: 3, status: 'matched'},
        {entries: 5, status: 'matched'},
      ],
    })

    // When its last line is cut off
    await writeLines(path, (await lines(path)).slice(0, 4))

    // Then the anchor at 5 fails verification, named
    const result = await verifyAuditLog(path, {macKey, anchors})
    expect(result).toMatchObject({
      ok: false,
      entries: 4,
      problem: {
        line: 5,
        reason: expect.stringMatching(/ends after 4 entries.*block 105.*records 5.*cut off/),
        anchor: anchors[1],
      },
      anchors: [
        {entries: 3, status: 'matched'},
        {entries: 5, status: 'missing'},
      ],
    })

    // And without an anchor past it, the cut is not detectable: MACs prove each line, not the end of the log
    expect(await verifyAuditLog(path, {macKey, anchors: [anchors[0]!]})).toMatchObject({ok: true, entries: 4})
  })

  it('detects lines rewritten by a holder of the audit key, up to the last anchor', async () => {
    // Given a log of six lines, anchored at entry 4
    await using tmp = await temporaryDirectory()
    const path = join(tmp.dir, 'audit.log')
    const written = await writeLog(path, 6)
    const anchors = [anchorAt(2, written[1]!.hash), anchorAt(4, written[3]!.hash)]
    const entries = (await lines(path)).map((line) => JSON.parse(line) as Record<string, unknown>)

    // When someone holding the audit key deletes line 3 and recomputes hashes and MACs
    await writeLines(
      path,
      rechain(
        entries.filter((_, i) => i !== 2),
        2,
        macKey,
      ),
    )

    // Then the MACs check out, but the line at the anchor's count has another hash: named
    expect(await verifyAuditLog(path, {macKey})).toMatchObject({ok: true, entries: 5})
    expect(await verifyAuditLog(path, {macKey, anchors})).toMatchObject({
      ok: false,
      entries: 4,
      problem: {line: 4, reason: expect.stringMatching(/block 104.*rewritten/), anchor: anchors[1]},
      anchors: [
        {entries: 2, status: 'matched'},
        {entries: 4, status: 'mismatch'},
      ],
    })

    // And a rewrite after the last anchor passes (the stated limit of anchoring)
    await writeLines(
      path,
      rechain(
        entries.map((e, i) => (i === 5 ? {...e, outcome: 'denied'} : e)),
        5,
        macKey,
      ),
    )
    expect(await verifyAuditLog(path, {macKey, anchors})).toMatchObject({ok: true, entries: 6})
  })

  it('leaves anchors past the first broken line unchecked, and can stop at a line still being written', async () => {
    await using tmp = await temporaryDirectory()
    const path = join(tmp.dir, 'audit.log')
    const written = await writeLog(path, 4)
    const anchors = [anchorAt(1, written[0]!.hash), anchorAt(3, written[2]!.hash)]
    const original = await lines(path)
    await writeLines(path, [
      original[0]!,
      original[1]!.replace('"records.read"', '"records.list"'),
      ...original.slice(2),
    ])
    expect(await verifyAuditLog(path, {macKey, anchors})).toMatchObject({
      ok: false,
      problem: {line: 2},
      anchors: [{status: 'matched'}, {status: 'unchecked'}],
    })

    // A running gatekeeper's log may end in a half-written line: verified up to the line before it
    await writeFile(path, `${original.join('\n')}\n${original[3]!.slice(0, 30)}`)
    expect(await verifyAuditLog(path, {macKey, anchors, ignoreIncompleteTail: true})).toMatchObject({
      ok: true,
      entries: 4,
    })
    expect(await verifyAuditLog(path, {macKey, anchors})).toMatchObject({
      ok: false,
      problem: {line: 5, reason: expect.stringMatching(/incomplete/)},
    })
  })

  it('syncs to disk and reports the head of what is written, for anchoring', async () => {
    await using file = await temporaryAuditLog(macKey)
    const {log} = file
    expect(await log.sync()).toEqual({entries: 0, hash: auditGenesisHash})
    const appended = await Promise.all([log.append(decision(1)), log.append(decision(2))])
    expect(await log.sync()).toEqual({entries: 2, hash: appended[1]!.hash})
    await log.close()
    await expect(log.sync()).rejects.toMatchObject({code: errorCodes.AUDIT_LOG_WRITE_FAILED})
  })
})

describe('recentNonces', () => {
  it('returns the nonces logged since a time, with their requester and outcome', async () => {
    // Given decisions at 12:00:01 to 12:00:06, one without a nonce
    await using file = await temporaryAuditLog(macKey)
    const {path, log} = file
    for (let n = 1; n <= 6; n++) await log.append(decision(n, n === 5 ? {nonce: null} : {}))
    await log.close()

    // When the nonces since 12:00:04 are asked for
    const nonces = await recentNonces(path, Date.parse(decision(4).time))

    // Then those from 12:00:04 on are returned, except the one without a nonce
    expect(nonces).toEqual([
      {nonce: decision(4).nonce, requester, time: decision(4).time, outcome: 'allowed'},
      {nonce: decision(6).nonce, requester, time: decision(6).time, outcome: 'denied'},
    ])
  })

  it('returns the expiry of each request where it was logged, and loads older lines without one', async () => {
    // Given a log whose first lines were written without expiry, the later ones with it
    await using file = await temporaryAuditLog(macKey)
    const {path, log} = file
    await log.append(decision(1))
    await log.append(decision(2, {expiry: null}))
    const third = await log.append(decision(3, {expiry: '1735732983'}))
    await expect(log.append(decision(4, {expiry: 'soon'}))).rejects.toMatchObject({
      code: errorCodes.INVALID_ARGUMENT,
      details: [expect.stringMatching(/^expiry:/)],
    })
    await expect(log.append(decision(4, {expiry: '0123'}))).rejects.toMatchObject({code: errorCodes.INVALID_ARGUMENT})
    await expect(log.append(decision(4, {expiry: '18446744073709551616'}))).rejects.toMatchObject({
      code: errorCodes.INVALID_ARGUMENT,
    })
    await log.close()

    // Then the line carries it, covered by hash and MAC, and the whole log verifies
    expect(third).toMatchObject({expiry: '1735732983'})
    const written = (await lines(path)).map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(written.map((e) => e.expiry)).toEqual([undefined, null, '1735732983'])
    expect(await verifyAuditLog(path, {macKey})).toMatchObject({ok: true, entries: 3})

    // And recentNonces returns it where it is a time, and leaves it out elsewhere
    const nonces = await recentNonces(path, 0)
    expect(nonces.map((n) => n.expiry)).toEqual([undefined, undefined, '1735732983'])
    expect(nonces[0]).not.toHaveProperty('expiry')
  })

  it('returns none for a log that does not exist yet, and refuses a log it cannot read', async () => {
    await using tmp = await temporaryDirectory()
    expect(await recentNonces(join(tmp.dir, 'none.log'), 0)).toEqual([])
    const path = join(tmp.dir, 'audit.log')
    await writeLog(path, 2)
    await appendFile(path, '{"seq": 3, "time": "broken\n')
    await expect(recentNonces(path, 0)).rejects.toMatchObject({
      code: errorCodes.AUDIT_LOG_CORRUPT,
      message: expect.stringMatching(/line 3/),
    })
  })
})

/**
 * Appends in a child process whose file size limit is 8 KiB (`ulimit -f 8`): Node ignores
 * SIGXFSZ, so a write past the limit is cut short and the next fails with EFBIG, as on
 * a file system that fills up mid-write.
 */
async function runLimitedWriter(path: string): Promise<{resolved: number; rejected: string[]}> {
  const script = `
const [auditLogUrl, decisionsUrl, path] = process.argv.slice(1)
const {openAuditLog} = await import(auditLogUrl)
const {anonymousRead} = await import(decisionsUrl)
const log = await openAuditLog(path, {macKey: Buffer.from(process.env.AUDIT_TEST_KEY, 'hex')})
let resolved = 0
const rejected = []
// A few appends one at a time, then a burst that is written as one batch and crosses the limit.
for (let n = 1; n <= 5; n++) await log.append(anonymousRead(n)).then(() => resolved++, (e) => rejected.push(e.code))
await Promise.all(
  Array.from({length: 40}, (_, i) =>
    log.append(anonymousRead(6 + i)).then(() => resolved++, (e) => rejected.push(e.code)),
  ),
)
await log.close().catch(() => {})
process.stdout.write(JSON.stringify({resolved, rejected}))
`
  const args = [sourceUrl('gatekeeper/audit-log.ts'), sourceUrl('gatekeeper/testing/audit-log-fixtures.ts'), path]
  const env = {...process.env, AUDIT_TEST_KEY: macKey.toString('hex')}
  return JSON.parse(await runSourceScript(script, args, {env, fileSizeLimitKiB: 8}))
}

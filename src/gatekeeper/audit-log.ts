import {createHash, createHmac} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {open, stat, type FileHandle} from 'node:fs/promises'

import type {Address, Hex} from 'viem'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {canonicalJson} from '../encoding/canonical-json.js'

/**
 * The gatekeeper's access decisions, as an append-only, hash-chained JSON-lines file
 * (security.md, promise 7). Each line is one decision without record contents or keys:
 * who asked, about which relationship, what for, the outcome and its reason code, the
 * block the decision was made at, the request's nonce, its expiry and a hash of its
 * signature.
 *
 * Three layers, each against a stronger tamperer:
 * - `hash` = sha256(prev + canonicalJson(line without hash and mac)), and `prev` is the
 *   line before's hash: any change, removal or reordering breaks the chain at that line.
 *   Anyone can recompute this, so on its own it only catches accidents.
 * - `mac` = HMAC-SHA256(audit key, hash), with a key kept in a separate 0600 file
 *   (audit-key.ts): whoever can write the log but not read the key cannot forge a line,
 *   so a deleted or edited line cannot be hidden by recomputing the chain. A MAC cannot
 *   show that lines were cut off the end: the shorter log is still valid.
 * - anchors (audit-anchors.ts): the provider records (entries, hash of the last line) on
 *   chain from time to time; a log shorter than an anchor, or whose line at an anchor's
 *   count has another hash, fails verification, even if the MAC key leaked.
 *
 * An append resolves once its line is written to the file; when the line cannot be
 * written it rejects, and the caller must deny the request it was logging.
 */

export type AuditOutcome = 'allowed' | 'denied'

/** One access decision, as the gatekeeper reports it. */
export type AuditEntryInput = {
  /** ISO-8601 time of the decision. */
  time: string
  requester: Address | null
  relationship: Address | null
  /** What was asked, e.g. "records.read". */
  action: string
  outcome: AuditOutcome
  /** A reason code, e.g. "ok", "expired", "not-permitted". */
  reason: string
  /** The block the decision was checked against. */
  block: {number: string; hash: Hex} | null
  nonce: Hex | null
  signatureHash: Hex | null
  /** The signed request's expiry, Unix seconds as a decimal string. */
  expiry?: string | null
}

/** One line of the log. */
export type AuditEntry = {seq: number} & AuditEntryInput & {prev: Hex; hash: Hex; mac: Hex}

/** Where a log's chain ends: how many lines, and the last one's hash (the zero hash when empty). */
export type AuditHead = {entries: number; hash: Hex}

export type AuditLog = {
  readonly path: string
  /** Appends one decision; rejects (AUDIT_LOG_WRITE_FAILED) if it cannot be written. */
  append(entry: AuditEntryInput): Promise<AuditEntry>
  /**
   * Syncs what is written to disk and returns its head: safe to anchor, because a crash
   * after this cannot lose those lines (an anchor past the end would look like tampering).
   */
  sync(): Promise<AuditHead>
  /** Waits for pending appends, syncs the file to disk and closes it. */
  close(): Promise<void>
}

/** A head recorded on chain (AuditAnchors' AuditAnchored event). */
export type AuditAnchor = {entries: number; head: Hex; block: string; transactionHash: Hex; time: string}

/** An anchor compared with the log: the line at its count has its hash, or not, or the log is shorter. */
export type AuditAnchorCheck = AuditAnchor & {status: 'matched' | 'mismatch' | 'missing' | 'unchecked'}

export type VerifyAuditLogOptions = {
  /** The audit key: when given, every line's MAC must be valid. */
  macKey?: Uint8Array
  /** Anchors to hold the log against. */
  anchors?: readonly AuditAnchor[]
  /** Stop quietly at a last line still being written (a running gatekeeper's log). */
  ignoreIncompleteTail?: boolean
}

export type AuditLogVerification = {
  ok: boolean
  /** Lines that verified (all of them when ok). */
  entries: number
  /** The hash of the last line that verified; null for an empty log. */
  lastHash: Hex | null
  /** True when every verified line's MAC was checked too. */
  macChecked: boolean
  /** Each anchor given, with what the log says about it. */
  anchors: AuditAnchorCheck[]
  /** The first problem: its 1-based line number, what is wrong and the anchor it breaks, if any. */
  problem?: {line: number; reason: string; anchor?: AuditAnchor}
}

/** A nonce a gatekeeper answered, for refusing replays after a restart. */
export type RecentNonce = {nonce: Hex; requester: Address | null; time: string; outcome: AuditOutcome; expiry?: string}

/** The `prev` of the first line. */
export const auditGenesisHash = `0x${'0'.repeat(64)}` as Hex

const verifyHint =
  'Run `medrec gatekeeper audit verify` to find the first damaged line. ' +
  'Keep the damaged file as evidence: move it aside and start a new log.'

/** Longest line any reader accepts; a real entry is well under 1 KiB. */
const maxLineBytes = 64 * 1024

/** The hash of a line: sha256 over prev followed by the canonical JSON of everything but `hash` and `mac`. */
export function auditEntryHash(entry: Omit<AuditEntry, 'hash' | 'mac'>): Hex {
  return `0x${createHash('sha256').update(entry.prev).update(canonicalJson(entry)).digest('hex')}`
}

/** The MAC of a line: HMAC-SHA256 under the audit key over its `hash` as written (0x and 64 hex digits). */
export function auditEntryMac(macKey: Uint8Array, hash: Hex): Hex {
  return `0x${createHmac('sha256', macKey).update(hash).digest('hex')}`
}

/** Shortest audit key accepted: a MAC is only as strong as its key. */
export const auditKeyMinBytes = 32

// Logs open in this process, by device and inode: two writers on one file would fork
// the chain, and appends are only serialised within one AuditLog.
const openLogs = new Set<string>()

/**
 * Opens (creating, mode 0600) the audit log at `path` and continues its chain, MACing
 * each line with `macKey`. Refuses a log whose last line is damaged or not MACed with
 * this key (the wrong key, or lines forged or written without one).
 */
export async function openAuditLog(path: string, options: {macKey: Uint8Array}): Promise<AuditLog> {
  const macKey = checkMacKey(options?.macKey)
  let handle: FileHandle
  try {
    // a+: reads for the tail, and every write goes to the end of the file.
    handle = await open(path, 'a+', 0o600)
  } catch (error) {
    throw writeProblem(error, path, 'cannot be opened')
  }
  try {
    const info = await handle.stat()
    const identity = `${info.dev}:${info.ino}`
    if (openLogs.has(identity)) {
      throw new MedrecError(
        errorCodes.AUDIT_LOG_WRITE_FAILED,
        `The audit log ${path} is already open in this process.`,
        {
          hint: 'Share the one AuditLog; two writers would break its hash chain.',
        },
      )
    }
    const head = await readTail(handle, info.size, path, macKey)
    openLogs.add(identity)
    return new FileAuditLog(path, handle, identity, info.size, head, macKey)
  } catch (error) {
    await handle.close().catch(() => {})
    throw error
  }
}

type ChainHead = {seq: number; hash: Hex}

function checkMacKey(macKey: Uint8Array | undefined): Buffer {
  if (!(macKey instanceof Uint8Array) || macKey.length < auditKeyMinBytes) {
    const message = `The audit log needs a MAC key of at least ${auditKeyMinBytes} bytes.`
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, message)
  }
  return Buffer.from(macKey)
}

/** The last line's seq and hash, after checking that line and its MAC; refuses a damaged tail. */
async function readTail(handle: FileHandle, size: number, path: string, macKey: Buffer): Promise<ChainHead> {
  if (size === 0) return {seq: 0, hash: auditGenesisHash}
  const length = Math.min(size, maxLineBytes + 1)
  const buffer = Buffer.alloc(length)
  const {bytesRead} = await handle.read(buffer, 0, length, size - length)
  const tail = buffer.subarray(0, bytesRead)
  const corrupt = (reason: string) =>
    new MedrecError(errorCodes.AUDIT_LOG_CORRUPT, `The audit log ${path} cannot be continued: ${reason}.`, {
      hint: verifyHint,
    })
  if (tail.at(-1) !== 0x0a) throw corrupt('its last line is incomplete (the file ends in the middle of a line)')
  const start = tail.lastIndexOf(0x0a, tail.length - 2) + 1
  if (start === 0 && length < size) throw corrupt(`its last line is longer than ${maxLineBytes} bytes`)
  const checked = checkLine(tail.subarray(start, tail.length - 1).toString('utf8'), macKey)
  if ('reason' in checked) throw corrupt(`its last line ${checked.reason}`)
  return {seq: checked.entry.seq, hash: checked.entry.hash}
}

type QueuedLine = {
  line: string
  entry: AuditEntry
  resolve: (entry: AuditEntry) => void
  reject: (error: unknown) => void
}

class FileAuditLog implements AuditLog {
  readonly path: string
  readonly #handle: FileHandle
  readonly #identity: string
  /** Bytes of the file that hold complete, written lines. */
  #size: number
  /** The chain's end including queued lines, and the end of what is in the file. */
  #head: ChainHead
  #writtenHead: ChainHead
  #queue: QueuedLine[] = []
  #flushing: Promise<void> | undefined
  /** Set when the log can no longer be written safely; every later append rejects with it. */
  #failure: MedrecError | undefined
  #closed = false
  readonly #macKey: Buffer

  constructor(path: string, handle: FileHandle, identity: string, size: number, head: ChainHead, macKey: Buffer) {
    this.path = path
    this.#handle = handle
    this.#identity = identity
    this.#size = size
    this.#head = head
    this.#writtenHead = head
    this.#macKey = macKey
  }

  append(input: AuditEntryInput): Promise<AuditEntry> {
    if (this.#closed)
      return Promise.reject(new MedrecError(errorCodes.AUDIT_LOG_WRITE_FAILED, `The audit log ${this.path} is closed.`))
    if (this.#failure) return Promise.reject(this.#failure)
    let entry: AuditEntry
    try {
      entry = this.#chain(input)
    } catch (error) {
      return Promise.reject(error)
    }
    // Chaining happens here, synchronously, so lines are ordered as append was called;
    // writing happens in batches: one write for every line queued meanwhile.
    return new Promise((resolve, reject) => {
      this.#queue.push({line: `${JSON.stringify(entry)}\n`, entry, resolve, reject})
      this.#flushing ??= this.#flush()
    })
  }

  async sync(): Promise<AuditHead> {
    if (this.#closed) throw new MedrecError(errorCodes.AUDIT_LOG_WRITE_FAILED, `The audit log ${this.path} is closed.`)
    if (this.#failure) throw this.#failure
    // Taken before the sync starts: every line up to it is in the file, so the sync covers it.
    const head = this.#writtenHead
    try {
      await this.#handle.datasync()
    } catch (error) {
      throw writeProblem(error, this.path, 'cannot be synced to disk')
    }
    return {entries: head.seq, hash: head.hash}
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    try {
      await this.#flushing
      // Appends do not wait for the disk (that would cap them at a few hundred a second);
      // closing does, so a clean shutdown loses nothing.
      if (!this.#failure) await this.#handle.datasync()
    } finally {
      openLogs.delete(this.#identity)
      await this.#handle.close().catch((error: unknown) => {
        if (!this.#failure) throw error
      })
    }
  }

  #chain(input: AuditEntryInput): AuditEntry {
    const checked = checkEntryInput(input)
    const withoutHash = {seq: this.#head.seq + 1, ...checked, prev: this.#head.hash}
    const hash = auditEntryHash(withoutHash)
    const entry: AuditEntry = {...withoutHash, hash, mac: auditEntryMac(this.#macKey, hash)}
    this.#head = {seq: entry.seq, hash: entry.hash}
    return entry
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0 && !this.#failure) {
      const batch = this.#queue
      this.#queue = []
      const data = Buffer.from(batch.map((queued) => queued.line).join(''), 'utf8')
      try {
        // The path check runs beside the write rather than before it, halving the wait
        // per batch; if the file is no longer at its path, lines written to the orphan
        // are lost to nobody and the batch is rejected all the same.
        const outcomes = await Promise.allSettled([this.#assertStillAtPath(), this.#writeAll(data)])
        const failed = outcomes.find((outcome) => outcome.status === 'rejected')
        if (failed) throw failed.reason
        this.#size += data.length
        const last = batch.at(-1)!.entry
        this.#writtenHead = {seq: last.seq, hash: last.hash}
        for (const queued of batch) queued.resolve(queued.entry)
      } catch (error) {
        await this.#recover(batch, error)
      }
    }
    this.#flushing = undefined
  }

  async #writeAll(data: Buffer): Promise<void> {
    let written = 0
    while (written < data.length) {
      const {bytesWritten} = await this.#handle.write(data, written, data.length - written)
      written += bytesWritten
    }
  }

  /**
   * After a failed write: reject that batch and every line chained after it, cut any
   * partial line off the file and continue the chain from the last line written. If the
   * file cannot be put back in order, the log stops accepting appends.
   */
  async #recover(batch: QueuedLine[], error: unknown): Promise<void> {
    const problem = error instanceof MedrecError ? error : writeProblem(error, this.path, 'cannot be written')
    const rejected = [...batch, ...this.#queue]
    this.#queue = []
    // Synchronously, before any await: appends from now on chain from what is in the file.
    this.#head = this.#writtenHead
    for (const queued of rejected) queued.reject(problem)
    if (error instanceof MedrecError) {
      this.#failure = problem
      return
    }
    try {
      await this.#handle.truncate(this.#size)
    } catch {
      const thenVerify = `${verifyHint.charAt(0).toLowerCase()}${verifyHint.slice(1)}`
      this.#failure = new MedrecError(
        errorCodes.AUDIT_LOG_WRITE_FAILED,
        `${problem.message} It could not be restored to its last complete line, so it accepts no more entries.`,
        {
          hint: `${problem.hint ?? ''} Then restart the gatekeeper; if it refuses the log, ${thenVerify}`.trim(),
          cause: error,
        },
      )
      for (const queued of this.#queue.splice(0)) queued.reject(this.#failure)
    }
  }

  /** A log moved, deleted or replaced under a running gatekeeper would take lines nobody can find. */
  async #assertStillAtPath(): Promise<void> {
    let current: string
    try {
      const info = await stat(this.path)
      current = `${info.dev}:${info.ino}`
    } catch (error) {
      current = `missing (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`
    }
    if (current !== this.#identity) {
      throw new MedrecError(
        errorCodes.AUDIT_LOG_WRITE_FAILED,
        `The audit log ${this.path} was moved, deleted or replaced while the gatekeeper was writing it.`,
        {
          hint:
            'Restore the file (and its directory) and restart the ' +
            'gatekeeper. Rotate the log only while the gatekeeper is stopped.',
        },
      )
    }
  }
}

const addressPattern = /^0x[0-9a-fA-F]{40}$/
const hash32Pattern = /^0x[0-9a-fA-F]{64}$/
const noncePattern = /^0x[0-9a-fA-F]{1,128}$/
const codePattern = /^[A-Za-z0-9._:/-]{1,128}$/
const isoTimePattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/
/** A uint64 in decimal, without leading zeros. */
const unixSecondsPattern = /^(0|[1-9]\d{0,19})$/

/**
 * Copies only the known fields, each checked: nothing else (record contents, keys) can
 * reach the log, and every line has the same shape.
 */
function checkEntryInput(input: AuditEntryInput): AuditEntryInput {
  const problems: string[] = []
  const check = (ok: boolean, field: string, expected: string) => {
    if (!ok) problems.push(`${field}: expected ${expected}`)
  }
  const {time, requester, relationship, action, outcome, reason, block, nonce, signatureHash, expiry} =
    input ?? ({} as AuditEntryInput)
  check(
    typeof time === 'string' && isoTimePattern.test(time) && Number.isFinite(Date.parse(time)),
    'time',
    'an ISO-8601 time',
  )
  check(
    requester === null || (typeof requester === 'string' && addressPattern.test(requester)),
    'requester',
    'an address or null',
  )
  check(
    relationship === null || (typeof relationship === 'string' && addressPattern.test(relationship)),
    'relationship',
    'an address or null',
  )
  check(typeof action === 'string' && codePattern.test(action), 'action', 'a short code such as "records.read"')
  check(outcome === 'allowed' || outcome === 'denied', 'outcome', '"allowed" or "denied"')
  check(typeof reason === 'string' && codePattern.test(reason), 'reason', 'a short reason code')
  check(
    block === null ||
      (typeof block === 'object' &&
        typeof block.number === 'string' &&
        /^\d{1,78}$/.test(block.number) &&
        hash32Pattern.test(String(block.hash))),
    'block',
    'null or {number: decimal string, hash: 32-byte hex}',
  )
  check(nonce === null || (typeof nonce === 'string' && noncePattern.test(nonce)), 'nonce', 'hex or null')
  check(
    signatureHash === null || (typeof signatureHash === 'string' && hash32Pattern.test(signatureHash)),
    'signatureHash',
    '32-byte hex or null',
  )
  const expiryOk = typeof expiry === 'string' && unixSecondsPattern.test(expiry) && BigInt(expiry) < 2n ** 64n
  check(expiry === undefined || expiry === null || expiryOk, 'expiry', 'Unix seconds as a decimal string, or null')
  if (problems.length > 0) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, 'An audit entry has invalid fields; it was not logged.', {
      details: problems,
    })
  }
  const checkedBlock = block === null ? null : {number: block.number, hash: block.hash}
  const checked: AuditEntryInput = {
    time,
    requester,
    relationship,
    action,
    outcome,
    reason,
    block: checkedBlock,
    nonce,
    signatureHash,
  }
  // Written only when given, so lines of callers that never pass it keep their old shape.
  if (expiry !== undefined) checked.expiry = expiry
  return checked
}

/** Checks one line on its own (shape, hash, and MAC when a key is given); the chain is checked by the caller. */
function checkLine(text: string, macKey: Buffer | undefined): {entry: AuditEntry} | {reason: string} {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return {reason: text.length === 0 ? 'is empty' : 'is not JSON'}
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {reason: 'is not a JSON object'}
  const {hash, mac, ...rest} = value as Record<string, unknown>
  if (!Number.isSafeInteger(rest.seq) || (rest.seq as number) < 1) return {reason: 'has no valid seq'}
  if (typeof rest.prev !== 'string' || !hash32Pattern.test(rest.prev)) return {reason: 'has no valid prev'}
  if (typeof hash !== 'string' || !hash32Pattern.test(hash)) return {reason: 'has no valid hash'}
  let expected: Hex
  try {
    expected = auditEntryHash(rest as Omit<AuditEntry, 'hash' | 'mac'>)
  } catch {
    return {reason: 'holds values that are not plain JSON'}
  }
  if (expected !== hash) return {reason: 'does not match its hash (the line was changed)'}
  if (macKey !== undefined) {
    if (typeof mac !== 'string' || !hash32Pattern.test(mac)) {
      return {reason: 'has no valid MAC (written without the audit key, or the MAC was removed)'}
    }
    if (auditEntryMac(macKey, hash) !== mac.toLowerCase()) {
      return {reason: "does not match its MAC (forged or changed without the audit key, or this is not the log's key)"}
    }
  }
  return {entry: value as AuditEntry}
}

/**
 * Checks the whole chain, reading the file line by line (it can be large): every line's
 * hash and link, every MAC when `macKey` is given, and each anchor against the line at
 * its count. Stops at the first problem; anchors past it stay 'unchecked'.
 */
export async function verifyAuditLog(path: string, options: VerifyAuditLogOptions = {}): Promise<AuditLogVerification> {
  const macKey = options.macKey === undefined ? undefined : checkMacKey(options.macKey)
  const anchors: AuditAnchorCheck[] = (options.anchors ?? []).map((anchor) => ({...anchor, status: 'unchecked'}))
  const byCount = new Map<number, AuditAnchorCheck[]>()
  for (const anchor of anchors) byCount.set(anchor.entries, [...(byCount.get(anchor.entries) ?? []), anchor])
  let entries = 0
  let lastHash: Hex | null = null
  let line = 0
  const result = (problem?: AuditLogVerification['problem']): AuditLogVerification => ({
    ok: problem === undefined,
    entries,
    lastHash,
    macChecked: macKey !== undefined,
    anchors,
    ...(problem ? {problem} : {}),
  })
  const fail = (reason: string, anchor?: AuditAnchorCheck) =>
    result({line, reason, ...(anchor ? {anchor: plainAnchor(anchor)} : {})})
  // Holds the anchors at the current count against the current head; the first that differs fails.
  const holdAnchors = (head: Hex): AuditLogVerification | undefined => {
    let broken: AuditAnchorCheck | undefined
    for (const anchor of byCount.get(entries) ?? []) {
      anchor.status = anchor.head.toLowerCase() === head ? 'matched' : 'mismatch'
      if (anchor.status === 'mismatch') broken ??= anchor
    }
    if (!broken) return undefined
    const what = entries === 0 ? "the empty log's" : "this line's"
    return fail(
      `${what} hash differs from the one ${describeAnchor(broken)} records for entry ${entries}: ` +
        'the log was rewritten at or before this line',
      broken,
    )
  }
  try {
    await stat(path)
  } catch (error) {
    throw new MedrecError(
      errorCodes.FILE_ACCESS,
      `Cannot read the audit log ${path} (${(error as NodeJS.ErrnoException).code}).`,
      {
        hint: 'Check the path of the audit log and its permissions.',
        cause: error,
      },
    )
  }
  const empty = holdAnchors(auditGenesisHash)
  if (empty) return empty
  for await (const read of readLogLines(path)) {
    line++
    if (read.tooLong) return fail(`the line is longer than ${maxLineBytes} bytes`)
    if (!read.terminated) {
      if (options.ignoreIncompleteTail) {
        line--
        break
      }
      return fail('the line is incomplete: the file ends in the middle of it (cut off?)')
    }
    const checked = checkLine(read.text, macKey)
    if ('reason' in checked) return fail(`the line ${checked.reason}`)
    const {entry} = checked
    if (entry.seq !== entries + 1)
      return fail(`seq is ${entry.seq} where ${entries + 1} was expected (a line was removed, duplicated or moved)`)
    if (entry.prev !== (lastHash ?? auditGenesisHash))
      return fail('prev is not the hash of the line before (a line before it was removed, changed or moved)')
    entries++
    lastHash = entry.hash
    const broken = holdAnchors(entry.hash)
    if (broken) return broken
  }
  const beyond = anchors.filter((anchor) => anchor.entries > entries)
  for (const anchor of beyond) anchor.status = 'missing'
  if (beyond.length > 0) {
    const first = beyond.reduce((a, b) => (b.entries < a.entries ? b : a))
    line = entries + 1
    const reason = `the log ends after ${entries} entries, but ${describeAnchor(first)} records ${first.entries}`
    return fail(`${reason}: entries were cut off`, first)
  }
  return result()
}

function plainAnchor(check: AuditAnchorCheck): AuditAnchor {
  const {entries, head, block, transactionHash, time} = check
  return {entries, head, block, transactionHash, time}
}

function describeAnchor(anchor: AuditAnchor): string {
  return `the anchor in block ${anchor.block} (transaction ${anchor.transactionHash}, ${anchor.time})`
}

/**
 * The nonces of requests logged at or after `sinceMs` (milliseconds since the epoch), with
 * their requester, so a restarted gatekeeper can refuse requests it answered before.
 * Reads the whole file; a missing file has none. A line it cannot read is an error, not
 * skipped: a replay check that silently misses entries would be worse than none.
 */
export async function recentNonces(path: string, sinceMs: number): Promise<RecentNonce[]> {
  const nonces: RecentNonce[] = []
  let line = 0
  const corrupt = (reason: string) =>
    new MedrecError(
      errorCodes.AUDIT_LOG_CORRUPT,
      `The audit log ${path} cannot be read for recent nonces: line ${line} ${reason}.`,
      {hint: verifyHint},
    )
  try {
    for await (const read of readLogLines(path)) {
      line++
      if (read.tooLong) throw corrupt(`is longer than ${maxLineBytes} bytes`)
      if (!read.terminated) throw corrupt('is incomplete')
      let entry: Partial<AuditEntry>
      try {
        entry = JSON.parse(read.text) as Partial<AuditEntry>
      } catch {
        throw corrupt('is not JSON')
      }
      const time = typeof entry?.time === 'string' ? Date.parse(entry.time) : Number.NaN
      if (!Number.isFinite(time)) throw corrupt('has no valid time')
      if (time >= sinceMs && typeof entry.nonce === 'string') {
        const nonce: RecentNonce = {
          nonce: entry.nonce,
          requester: entry.requester ?? null,
          time: entry.time as string,
          outcome: entry.outcome as AuditOutcome,
        }
        // Lines written before expiry was logged have none; the caller falls back to time + lifetime.
        if (typeof entry.expiry === 'string') nonce.expiry = entry.expiry
        nonces.push(nonce)
      }
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  return nonces
}

type ReadLine = {text: string; terminated: boolean; tooLong?: false} | {text: ''; terminated: false; tooLong: true}

/** The file's lines, split on \n; the last is `terminated: false` if the file does not end with \n. */
async function* readLogLines(path: string): AsyncGenerator<ReadLine> {
  let pending: Buffer[] = []
  let pendingBytes = 0
  for await (const chunk of createReadStream(path, {highWaterMark: 1024 * 1024}) as AsyncIterable<Buffer>) {
    let start = 0
    for (let end = chunk.indexOf(0x0a); end !== -1; end = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, end)
      const text = pending.length === 0 ? piece.toString('utf8') : Buffer.concat([...pending, piece]).toString('utf8')
      pending = []
      pendingBytes = 0
      yield {text, terminated: true}
      start = end + 1
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start))
      pendingBytes += chunk.length - start
      if (pendingBytes > maxLineBytes) {
        yield {text: '', terminated: false, tooLong: true}
        return
      }
    }
  }
  if (pendingBytes > 0) yield {text: Buffer.concat(pending).toString('utf8'), terminated: false}
}

const writeHints: Record<string, string> = {
  ENOSPC: 'Free some disk space.',
  EDQUOT: 'Raise the disk quota or free some space.',
  EROFS: 'The file system is read-only; put the log on a writable one.',
  EACCES: 'Check the owner and permissions of the log file and its directory.',
  EPERM: 'Check the owner and permissions (and attributes such as chattr +i) of the log file.',
  ENOENT: "The log's directory does not exist; create it.",
  EBADF: "The log's file descriptor was closed under the gatekeeper; restart it.",
  EIO: 'The disk reports errors; check it.',
  EFBIG:
    'The file has reached the size limit for this process (ulimit -f) ' +
    'or file system; rotate the log while the gatekeeper is stopped.',
  EISDIR: 'A directory stands where the log file should be; give the path of a file.',
}

function writeProblem(error: unknown, path: string, what: string): MedrecError {
  const code = (error as NodeJS.ErrnoException).code ?? 'unknown error'
  return new MedrecError(
    errorCodes.AUDIT_LOG_WRITE_FAILED,
    `The audit log ${path} ${what} (${code}); requests are denied until it can be.`,
    {
      hint: writeHints[code] ?? "Check the disk and the file's permissions.",
      cause: error,
    },
  )
}

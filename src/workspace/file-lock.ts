import {randomBytes} from 'node:crypto'
import {readFileSync, unlinkSync} from 'node:fs'
import {link, readFile, rename, unlink, writeFile} from 'node:fs/promises'
import {hostname} from 'node:os'
import {resolve} from 'node:path'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {isPollTimeout, pollUntil} from '../wait/poll-until.js'

/** What a lock file holds: who took it. */
export type LockFileOwner = {pid: number; hostname: string; startedAt: string; token: string}

export type LockFile = {
  readonly path: string
  /** Removes the lock file if it is still this lock's. Safe to call twice. */
  release(): Promise<void>
}

/** One attempt at a lock: taken, or held by a live owner (undefined: the file kept changing under us). */
export type LockFileAttempt = {lock: LockFile} | {heldBy: LockFileOwner | undefined}

/**
 * One attempt to take the exclusive lock file `path`, without waiting. The file is created
 * complete or not at all (written aside, then hard-linked into place, which fails if the
 * name exists). A lock whose process is gone (crash, SIGKILL) is stale and taken over; one
 * from another host cannot be checked and is respected. A lock is released by `release()`
 * and, failing that, when the process exits.
 *
 * A lock with this process's own pid counts as stale (a restarted container gets the same
 * pid), so a caller must keep two holders inside one process apart itself.
 * `fileProblem` turns an unexpected file system error into the caller's own error.
 */
export async function tryLockFile(path: string, fileProblem: (error: unknown) => Error): Promise<LockFileAttempt> {
  const token = randomBytes(16).toString('hex')
  const owner: LockFileOwner = {pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString(), token}
  const text = `${JSON.stringify(owner)}\n`
  const aside = `${path}.${token}.tmp`
  await writeFile(aside, text, {mode: 0o600, flag: 'wx'}).catch((error: unknown) => {
    throw fileProblem(error)
  })
  try {
    // A few rounds: each ends with the lock taken, held by a live owner, or a stale lock moved away.
    for (let attempt = 0; ; attempt++) {
      try {
        await link(aside, path)
        break
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw fileProblem(error)
      }
      const holder = await readOwner(path, fileProblem)
      if (holder !== 'missing' && holder !== 'unreadable' && isLive(holder)) return {heldBy: holder}
      if (attempt >= 3) return {heldBy: undefined}
      if (holder !== 'missing') {
        const live = await removeStale(path, holder, fileProblem)
        if (live) return {heldBy: live}
      }
    }
  } finally {
    await unlink(aside).catch(() => undefined)
  }
  const removeOnExit = () => {
    // Synchronous: this runs as the process exits. Only our own file is removed.
    try {
      if (readFileSync(path, 'utf8') === text) unlinkSync(path)
    } catch {
      // Gone already, or unreadable: nothing of ours to remove.
    }
  }
  process.once('exit', removeOnExit)
  let released = false
  return {
    lock: {
      path,
      async release() {
        if (released) return
        released = true
        process.removeListener('exit', removeOnExit)
        removeOnExit()
      },
    },
  }
}

async function readOwner(
  path: string,
  fileProblem: (error: unknown) => Error,
): Promise<LockFileOwner | 'missing' | 'unreadable'> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing'
    throw fileProblem(error)
  }
  try {
    const value = JSON.parse(text) as Partial<LockFileOwner>
    const {pid, hostname: host, token} = value
    const complete = Number.isSafeInteger(pid) && typeof host === 'string' && typeof token === 'string'
    if (complete) return value as LockFileOwner
  } catch {
    // Falls through: the file is not what we write.
  }
  return 'unreadable'
}

/**
 * Is the lock's process still running? Our own pid counts as dead: it is a previous
 * incarnation (a restarted container gets the same pid).
 */
function isLive(owner: LockFileOwner): boolean {
  if (owner.hostname !== hostname()) return true
  if (owner.pid === process.pid) return false
  try {
    process.kill(owner.pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}

/**
 * Moves a stale lock out of the way. Renaming first and checking what was moved keeps two
 * takers racing for one stale lock from removing each other's fresh one: the one that
 * moved a live lock puts it back and returns its owner.
 */
async function removeStale(
  path: string,
  stale: LockFileOwner | 'unreadable',
  fileProblem: (error: unknown) => Error,
): Promise<LockFileOwner | undefined> {
  const moved = `${path}.stale-${randomBytes(8).toString('hex')}`
  try {
    await rename(path, moved)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw fileProblem(error)
  }
  const what = await readOwner(moved, fileProblem)
  // Another taker's lock, not the stale one read before: it goes back, and it holds the lock.
  const another = what !== 'missing' && what !== 'unreadable' && (stale === 'unreadable' || what.token !== stale.token)
  if (another) {
    await link(moved, path).catch(() => undefined)
    await unlink(moved).catch(() => undefined)
    return what
  }
  await unlink(moved).catch(() => undefined)
  return undefined
}

/** How long a writer waits for a state file's lock by default: its holders keep it for milliseconds. */
export const defaultLockTimeoutMs = 10_000

// The tail of each lock path's queue in this process: a lock file cannot keep two holders in one
// process apart (our own pid reads as a stale lock), so they take turns here first.
const queues = new Map<string, Promise<void>>()

/**
 * Runs `work` while holding the lock file `path`: waits its turn behind other holders in this
 * process, then polls for the file until `timeoutMs` (from the call) has passed, taking over a
 * stale one. When the time runs out, fails with STATE_LOCKED naming the holder (pid, host, since).
 * `what` names what the lock guards, for that message.
 */
export async function withLockFile<T>(
  path: string,
  options: {what: string; timeoutMs?: number},
  work: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? defaultLockTimeoutMs)
  const key = resolve(path)
  const before = queues.get(key) ?? Promise.resolve()
  let done!: () => void
  const turn = new Promise<void>((resolveTurn) => {
    done = resolveTurn
  })
  const mine = before.then(() => turn)
  queues.set(key, mine)
  try {
    await before
    const lock = await waitForLockFile(path, options.what, deadline)
    try {
      return await work()
    } finally {
      await lock.release()
    }
  } finally {
    done()
    if (queues.get(key) === mine) queues.delete(key)
  }
}

async function waitForLockFile(path: string, what: string, deadline: number): Promise<LockFile> {
  const problem = (error: unknown) => lockFileProblem(error, path)
  let holder: LockFileOwner | undefined
  try {
    return await pollUntil(
      `the lock on ${what}`,
      deadline,
      async () => {
        const attempt = await tryLockFile(path, problem)
        if ('lock' in attempt) return attempt.lock
        holder = attempt.heldBy
        return undefined
      },
      // Short pauses: a holder keeps the lock only while it reads and writes one small file.
      {interval: (attempt) => Math.min(5 * 2 ** attempt, 100)},
    )
  } catch (error) {
    if (!isPollTimeout(error)) throw error
    throw stateLocked(path, what, holder, error)
  }
}

function stateLocked(path: string, what: string, owner: LockFileOwner | undefined, cause: unknown): MedrecError {
  const who = owner
    ? `process ${owner.pid} on ${owner.hostname} (since ${owner.startedAt})`
    : 'another process (its lock file kept changing)'
  return new MedrecError(errorCodes.STATE_LOCKED, `${what} is locked by ${who}.`, {
    hint:
      'Another medrec command is changing it; wait for that command to finish and run this one again. ' +
      `If that process is not medrec, remove the lock file ${path}.`,
    details: [`lock file: ${path}`],
    cause,
  })
}

function lockFileProblem(error: unknown, path: string): MedrecError {
  const code = (error as NodeJS.ErrnoException).code ?? 'error'
  return new MedrecError(errorCodes.FILE_ACCESS, `Cannot take the lock file ${path} (${code}).`, {
    hint: 'Check that its folder exists and is writable by this user.',
    cause: error,
  })
}

import {randomBytes} from 'node:crypto'
import {readFileSync, unlinkSync} from 'node:fs'
import {link, readFile, rename, unlink, writeFile} from 'node:fs/promises'
import {hostname} from 'node:os'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'

/** What a lock file holds: who took it. */
export type GatekeeperLockOwner = {pid: number; hostname: string; startedAt: string; token: string}

export type GatekeeperLock = {
  readonly path: string
  /** Removes the lock file if it is still this lock's. Safe to call twice. */
  release(): Promise<void>
}

// Locks held by this process, by path: a second gatekeeper inside the same process (a
// test, an embedding program) must be refused like one in another process.
const heldHere = new Set<string>()

/**
 * Takes the exclusive lock file `path` for one running gatekeeper, or refuses with
 * GATEKEEPER_ALREADY_RUNNING. Two gatekeepers answering for one provider from one audit
 * log would each keep their own nonce registry, so a request answered by one could be
 * replayed to the other, and their lines would fork the log's hash chain.
 *
 * The file is created complete or not at all (written aside, then hard-linked into
 * place, which fails if the name exists). A lock whose process is gone (crash, SIGKILL)
 * is stale and taken over; one from another host cannot be checked and is respected.
 * The lock is released by `release()` and, failing that, when the process exits.
 */
export async function acquireGatekeeperLock(path: string, what: string): Promise<GatekeeperLock> {
  if (heldHere.has(path)) throw alreadyRunning(path, what, undefined, true)
  const startedAt = new Date().toISOString()
  const token = randomBytes(16).toString('hex')
  const owner: GatekeeperLockOwner = {pid: process.pid, hostname: hostname(), startedAt, token}
  const text = `${JSON.stringify(owner)}\n`
  const aside = `${path}.${owner.token}.tmp`
  await writeFile(aside, text, {mode: 0o600, flag: 'wx'}).catch((error: unknown) => {
    throw fileProblem(error, path)
  })
  try {
    // A few rounds: each ends with the lock taken, refused, or a stale lock moved away.
    for (let attempt = 0; ; attempt++) {
      try {
        await link(aside, path)
        break
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw fileProblem(error, path)
      }
      const holder = await readOwner(path)
      if (holder !== 'missing' && holder !== 'unreadable' && isLive(holder)) {
        throw alreadyRunning(path, what, holder, false)
      }
      if (attempt >= 3) throw alreadyRunning(path, what, undefined, false)
      if (holder !== 'missing') await removeStale(path, holder, what)
    }
  } finally {
    await unlink(aside).catch(() => undefined)
  }
  heldHere.add(path)
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
    path,
    async release() {
      if (released) return
      released = true
      process.removeListener('exit', removeOnExit)
      heldHere.delete(path)
      removeOnExit()
    },
  }
}

async function readOwner(path: string): Promise<GatekeeperLockOwner | 'missing' | 'unreadable'> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing'
    throw fileProblem(error, path)
  }
  try {
    const value = JSON.parse(text) as Partial<GatekeeperLockOwner>
    const {pid, hostname: host, token} = value
    const complete = Number.isSafeInteger(pid) && typeof host === 'string' && typeof token === 'string'
    if (complete) return value as GatekeeperLockOwner
  } catch {
    // Falls through: the file is not what we write.
  }
  return 'unreadable'
}

/**
 * Is the lock's process still running? Our own pid counts as dead: it is a previous
 * incarnation (a restarted container gets the same pid).
 */
function isLive(owner: GatekeeperLockOwner): boolean {
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
 * starters racing for one stale lock from removing each other's fresh one: the one that
 * moved a live lock puts it back and refuses.
 */
async function removeStale(path: string, stale: GatekeeperLockOwner | 'unreadable', whatFor: string): Promise<void> {
  const moved = `${path}.stale-${randomBytes(8).toString('hex')}`
  try {
    await rename(path, moved)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw fileProblem(error, path)
  }
  const what = await readOwner(moved)
  const sameOwner = what !== 'missing' && what !== 'unreadable' && stale !== 'unreadable' && what.token === stale.token
  const same = what === 'unreadable' ? stale === 'unreadable' : sameOwner
  if (!same && what !== 'missing' && what !== 'unreadable') {
    await link(moved, path).catch(() => undefined)
    await unlink(moved).catch(() => undefined)
    throw alreadyRunning(path, whatFor, what, false)
  }
  await unlink(moved).catch(() => undefined)
}

function alreadyRunning(path: string, what: string, owner: GatekeeperLockOwner | undefined, here: boolean) {
  const elsewhere = owner
    ? `as process ${owner.pid} on ${owner.hostname} (since ${owner.startedAt})`
    : '(its lock file keeps changing)'
  const who = here ? 'in this process' : elsewhere
  return new MedrecError(errorCodes.GATEKEEPER_ALREADY_RUNNING, `A gatekeeper for ${what} is already running ${who}.`, {
    hint:
      'Stop it first: two gatekeepers on one audit log would each accept the same signed request once. ' +
      `If no gatekeeper is running, remove the lock file ${path}.`,
    details: [`lock file: ${path}`],
  })
}

function fileProblem(error: unknown, path: string): MedrecError {
  const code = (error as NodeJS.ErrnoException).code ?? 'error'
  return new MedrecError(errorCodes.FILE_ACCESS, `Cannot take the gatekeeper's lock file ${path} (${code}).`, {
    hint: "Check that the audit log's directory exists and is writable by this user.",
    cause: error,
  })
}

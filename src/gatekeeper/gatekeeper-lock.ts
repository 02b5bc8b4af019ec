import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {tryLockFile, type LockFile, type LockFileOwner} from '../workspace/file-lock.js'

export type GatekeeperLock = LockFile

// Locks held by this process, by path: a second gatekeeper inside the same process (a
// test, an embedding program) must be refused like one in another process.
const heldHere = new Set<string>()

/**
 * Takes the exclusive lock file `path` for one running gatekeeper, or refuses with
 * GATEKEEPER_ALREADY_RUNNING. Two gatekeepers answering for one provider from one audit
 * log would each keep their own nonce registry, so a request answered by one could be
 * replayed to the other, and their lines would fork the log's hash chain.
 *
 * The lock file is tryLockFile's: created whole, a stale one (its process gone) taken over,
 * one from another host respected. It is released by `release()` and, failing that, when
 * the process exits.
 */
export async function acquireGatekeeperLock(path: string, what: string): Promise<GatekeeperLock> {
  if (heldHere.has(path)) throw alreadyRunning(path, what, undefined, true)
  const attempt = await tryLockFile(path, (error) => fileProblem(error, path))
  if ('heldBy' in attempt) throw alreadyRunning(path, what, attempt.heldBy, false)
  heldHere.add(path)
  let released = false
  return {
    path,
    async release() {
      if (released) return
      released = true
      heldHere.delete(path)
      await attempt.lock.release()
    },
  }
}

function alreadyRunning(path: string, what: string, owner: LockFileOwner | undefined, here: boolean) {
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

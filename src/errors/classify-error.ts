import type {ErrorCode} from './error-codes.js'
import {errorCodes} from './error-codes.js'
import {isMedrecError, MedrecError} from './medrec-error.js'
import {UsageError} from './usage-error.js'

/** Exit codes: 1 for problems the user can fix, 2 for wrong usage, 70 for bugs (EX_SOFTWARE). */
export const exitCodes = {userError: 1, usage: 2, bug: 70} as const

/** What a failed command shows: the same body on stderr and, under --json, on stdout. */
export type ErrorBody = {code: ErrorCode; message: string; hint: string | null; details: string[]}

export type ClassifiedError = {
  kind: 'user' | 'usage' | 'bug'
  exitCode: (typeof exitCodes)[keyof typeof exitCodes]
  body: ErrorBody
  /** The error whose stack a bug report shows; null for expected problems. */
  trace: Error | null
}

const fileErrorHints: Record<string, string> = {
  EACCES: "Check the file's owner and permissions (files made with sudo belong to root).",
  EPERM: "Check the file's owner and permissions (files made with sudo belong to root).",
  ENOSPC: 'Free some disk space and run the command again.',
  EROFS: 'The file system is read-only; use a writable --dir.',
  EISDIR: 'A directory stands where a file is expected; move it away.',
  ENOTDIR: 'A file stands where a directory is expected; move it away.',
  EMFILE: 'Too many open files; raise the limit (ulimit -n).',
}

/**
 * Sorts whatever a command threw into the three kinds the CLI reports, without side
 * effects: a MedrecError (or a file-system failure such as a full disk, which the user
 * fixes) is the user's; a UsageError is wrong usage; anything else is a bug, shown with
 * its stack. `commandId` (e.g. "network:up") names the command in the usage hint.
 */
export function classifyError(thrown: unknown, commandId?: string): ClassifiedError {
  const expected = isMedrecError(thrown) ? thrown : fileSystemProblem(thrown)
  if (expected) return {kind: 'user', exitCode: exitCodes.userError, body: expected.toJSON(), trace: null}
  if (thrown instanceof UsageError) {
    const command = commandId ? ` ${commandId.replaceAll(':', ' ')}` : ''
    return {
      kind: 'usage',
      exitCode: exitCodes.usage,
      body: {code: errorCodes.USAGE, message: thrown.message, hint: `See \`medrec${command} --help\`.`, details: []},
      trace: null,
    }
  }
  const error = thrown instanceof Error ? thrown : new Error(String(thrown))
  return {
    kind: 'bug',
    exitCode: exitCodes.bug,
    body: {code: errorCodes.INTERNAL, message: error.message, hint: null, details: []},
    trace: error,
  }
}

/** A file-system failure (permissions, full disk…) is the user's to fix, not a bug. */
function fileSystemProblem(error: unknown): MedrecError | undefined {
  const e = error as NodeJS.ErrnoException | undefined
  if (typeof e?.code !== 'string' || !(e.code in fileErrorHints)) return undefined
  return new MedrecError(errorCodes.FILE_ACCESS, `Cannot ${e.syscall ?? 'use'} ${e.path ?? 'a file'}: ${e.code}.`, {
    hint: fileErrorHints[e.code],
    cause: error,
  })
}

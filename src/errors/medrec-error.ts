import type {ErrorCode} from './error-codes.js'

export type MedrecErrorOptions = {
  /** What to do next, in one or two sentences. */
  hint?: string
  /** Individual problems, e.g. one line per invalid config field. */
  details?: string[]
  cause?: unknown
}

/**
 * An expected problem the user can fix: it says what happened, why, and what to try next.
 * Anything that is not a MedrecError is treated as a bug and shown with its stack.
 */
export class MedrecError extends Error {
  readonly code: ErrorCode
  readonly hint: string | undefined
  readonly details: string[]

  constructor(code: ErrorCode, message: string, options: MedrecErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'MedrecError'
    this.code = code
    this.hint = options.hint
    this.details = options.details ?? []
  }

  /** The stable shape printed under `--json`. */
  toJSON(): {code: ErrorCode; message: string; hint: string | null; details: string[]} {
    return {code: this.code, message: this.message, hint: this.hint ?? null, details: this.details}
  }
}

export function isMedrecError(error: unknown): error is MedrecError {
  return error instanceof MedrecError
}

/** Walks the cause chain and returns the first error that satisfies the predicate. */
export function findCause<T>(error: unknown, predicate: (e: unknown) => e is T): T | undefined {
  let current: unknown = error
  for (let depth = 0; current !== undefined && depth < 16; depth++) {
    if (predicate(current)) return current
    current = current instanceof Error ? current.cause : undefined
  }
  return undefined
}

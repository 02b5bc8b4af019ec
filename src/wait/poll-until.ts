import {setTimeout as delay} from 'node:timers/promises'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'

/** What a timed-out wait reports beyond what it awaited: each party's doing, and the next step. */
export type PollTimeoutReport = {
  /** Replaces the default message (`Timed out waiting for <what>.`). */
  message?: string
  /** One line per party: what it was doing when time ran out. */
  details?: string[]
  hint?: string
}

export type PollUntilOptions = {
  /** Pause between attempts in ms, or a function of the attempt number (0 first) for a back-off. Default 250. */
  interval?: number | ((attempt: number) => number)
  /**
   * Whether an error thrown by `check` means "not yet" (try again) rather than a failure.
   * Default: no error is retryable, so an unexpected one surfaces at once.
   */
  retryable?: (error: unknown) => boolean
  /** Called once the deadline has passed, to say what each party was doing (read at that moment). */
  onTimeout?: () => PollTimeoutReport | Promise<PollTimeoutReport>
  /** Aborts the wait (Ctrl-C): the signal's reason is thrown, also during a pause. */
  signal?: AbortSignal
}

/**
 * The one way this tool waits: calls `check` until it returns a value (not undefined),
 * pausing `interval` between attempts, until `deadline` (epoch ms). `check` always runs at
 * least once, so a wait that starts late still notices a condition that already holds.
 * `what` (or a function giving it as the wait goes on) names what is awaited in the
 * READY_TIMEOUT error. The one wait written elsewhere runs where this code cannot: inside a
 * node's geth console (network/start-whole-network.ts, waiting for its peers in the same
 * console session that dialled them, so a start costs one `geth attach` a node).
 */
export async function pollUntil<T>(
  what: string | (() => string),
  deadline: number,
  check: (attempt: number) => Promise<T | undefined>,
  options: PollUntilOptions = {},
): Promise<T> {
  const {signal} = options
  for (let attempt = 0; ; attempt++) {
    signal?.throwIfAborted()
    try {
      const value = await check(attempt)
      if (value !== undefined) return value
    } catch (error) {
      if (!options.retryable?.(error)) throw error
    }
    signal?.throwIfAborted()
    if (Date.now() > deadline) throw await pollTimeoutError(typeof what === 'string' ? what : what(), options)
    const pause = typeof options.interval === 'function' ? options.interval(attempt) : (options.interval ?? 250)
    // An abort during the pause throws the signal's own reason, as between attempts.
    await delay(pause, undefined, signal ? {signal} : {}).catch((error: unknown) => {
      signal?.throwIfAborted()
      throw error
    })
  }
}

/** Whether `error` is a wait's timeout (its deadline passed) rather than a failure of what it checked. */
export function isPollTimeout(error: unknown): error is MedrecError {
  return error instanceof MedrecError && error.code === errorCodes.READY_TIMEOUT
}

async function pollTimeoutError(what: string, options: PollUntilOptions): Promise<MedrecError> {
  // A report that cannot be gathered must not hide the timeout itself.
  const report =
    (await Promise.resolve()
      .then(() => options.onTimeout?.())
      .catch(() => undefined)) ?? {}
  return new MedrecError(errorCodes.READY_TIMEOUT, report.message ?? `Timed out waiting for ${what}.`, {
    ...(report.details ? {details: report.details} : {}),
    ...(report.hint ? {hint: report.hint} : {}),
  })
}

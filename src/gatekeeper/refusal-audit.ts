import type {AuditEntryInput, AuditLog} from './audit-log.js'
import {TokenBuckets, type RateLimit} from './request-quotas.js'

export type RefusalAuditOptions = {
  /** How many refusals of anonymous requests may still get a line of their own. */
  lines: RateLimit
  /** How often the counted refusals are written as summary lines (one per reason). */
  summaryIntervalMs: number
  clock?: () => number
}

/** The `action` of a summary line; its `reason` is `<reason>:<count>`. */
export const refusalSummaryAction = 'refusals.summary'

/**
 * The audit log's intake for refusals nobody in particular is accountable for: requests
 * that failed verification, went over a quota, or were signed by a key the chain does not
 * know. A few of them get a line of their own (the first attempts of a probe are worth
 * seeing in detail); beyond that budget they are only counted, and every
 * `summaryIntervalMs` one line per reason says how many there were. A flood therefore
 * adds a bounded number of lines, whatever its rate, and the log cannot be used to fill
 * the disk (an unwritable log would then deny everyone).
 *
 * Allowed requests, and refusals of a participant the chain or this gatekeeper knows, do
 * not come here: they are logged one line each (the server decides which is which).
 */
export class RefusalAudit {
  private readonly audit: AuditLog
  private readonly budget: TokenBuckets
  private counts = new Map<string, number>()
  private readonly timer: NodeJS.Timeout
  private flushing: Promise<void> | undefined
  private readonly clock: () => number

  constructor(audit: AuditLog, options: RefusalAuditOptions) {
    this.audit = audit
    this.clock = options.clock ?? Date.now
    this.budget = new TokenBuckets({...options.lines, maxEntries: 1, clock: this.clock})
    this.timer = setInterval(() => void this.flush().catch(() => undefined), options.summaryIntervalMs)
    this.timer.unref()
  }

  /** Refusals counted and not yet written, by reason. */
  get pending(): ReadonlyMap<string, number> {
    return this.counts
  }

  /**
   * Logs the refusal on a line of its own while the budget allows (rejecting if that line
   * cannot be written, like any append), else counts it for the next summary.
   */
  async record(entry: AuditEntryInput): Promise<'logged' | 'counted'> {
    if (this.budget.take('lines')) {
      await this.audit.append(entry)
      return 'logged'
    }
    this.counts.set(entry.reason, (this.counts.get(entry.reason) ?? 0) + 1)
    return 'counted'
  }

  /** Writes one summary line per counted reason; counts that could not be written are kept for the next try. */
  async flush(): Promise<void> {
    await this.flushing
    if (this.counts.size === 0) return
    const counts = this.counts
    this.counts = new Map()
    const time = new Date(this.clock()).toISOString()
    this.flushing = (async () => {
      const failed: [string, number][] = []
      await Promise.all(
        [...counts].map(async ([reason, count]) => {
          try {
            await this.audit.append({
              time,
              requester: null,
              relationship: null,
              action: refusalSummaryAction,
              outcome: 'denied',
              reason: `${reason}:${count}`,
              block: null,
              nonce: null,
              signatureHash: null,
              expiry: null,
            })
          } catch {
            failed.push([reason, count])
          }
        }),
      )
      for (const [reason, count] of failed) this.counts.set(reason, (this.counts.get(reason) ?? 0) + count)
    })()
    try {
      await this.flushing
    } finally {
      this.flushing = undefined
    }
  }

  /** Stops the timer and writes what is still counted. */
  async close(): Promise<void> {
    clearInterval(this.timer)
    await this.flush().catch(() => undefined)
  }
}

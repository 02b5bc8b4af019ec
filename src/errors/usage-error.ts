/**
 * The command line was used wrongly: an unknown flag, a missing argument, a value outside
 * its options. Raised around argument parsing only, so classification goes by class and
 * never by the wording of the parser's message.
 */
export class UsageError extends Error {
  constructor(message: string, options?: {cause?: unknown}) {
    super(message, options)
    this.name = 'UsageError'
  }
}

import {resolve} from 'node:path'

import {Command, Flags, Interfaces} from '@oclif/core'
import {BaseError} from 'viem'

import {explainContractError} from './contracts/send-contract-transaction.js'
import {DockerodeEngine} from './docker/dockerode-engine.js'
import type {ContainerEngine} from './docker/container-engine.js'
import {errorCodes} from './errors/error-codes.js'
import {isMedrecError, MedrecError} from './errors/medrec-error.js'
import {createProgressRenderer, type ProgressRenderer} from './progress/progress-renderer.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof MedrecCommand)['baseFlags'] & T['flags']>

/** Exit codes: 1 for problems the user can fix, 2 for wrong usage, 70 for bugs (EX_SOFTWARE). */
export const exitCodes = {userError: 1, usage: 2, bug: 70} as const

/**
 * The base of every medrec command: `--dir`, `--json`, and the one place where errors
 * are rendered and exit codes set.
 */
export abstract class MedrecCommand extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    dir: Flags.directory({
      char: 'd',
      summary: 'Directory of the network (holds medrec.yaml).',
      default: '.',
      helpGroup: 'GLOBAL',
    }),
  }

  private renderer: ProgressRenderer | undefined

  /** The network directory from --dir, absolute. */
  protected networkDir(flags: {dir: string}): string {
    return resolve(flags.dir)
  }

  /** A progress renderer suited to where output goes (terminal, pipe, --json). */
  protected progress(): ProgressRenderer {
    this.renderer ??= createProgressRenderer({json: this.jsonEnabled()})
    return this.renderer
  }

  protected dockerEngine(): ContainerEngine {
    return new DockerodeEngine()
  }

  /** Writes a human line to stderr unless --json is on (stdout is for results only). */
  protected note(message: string): void {
    if (!this.jsonEnabled()) process.stderr.write(`${message}\n`)
  }

  protected override async catch(thrown: Error & {oclif?: {exit?: number}}): Promise<unknown> {
    // A chain read that failed (node down, a call reverted) is explained like a failed send.
    const error = fileSystemProblem(thrown) ?? (thrown instanceof BaseError ? (explainContractError(thrown, 'read from the chain') as Error) : thrown)
    await this.renderer?.fail(error)
    const oclifExit = (error as {oclif?: {exit?: number}}).oclif?.exit
    const expected = isMedrecError(error)
    const usage = !expected && (oclifExit === 2 || /^(Unexpected argument|Nonexistent flag|Missing required|Expected)/.test(error.message))
    process.exitCode = expected ? exitCodes.userError : usage ? exitCodes.usage : (oclifExit ?? exitCodes.bug)
    const body = isMedrecError(error)
      ? error.toJSON()
      : {code: usage ? 'MEDREC_USAGE' : 'MEDREC_INTERNAL', message: error.message, hint: usage ? `See \`medrec ${this.id?.replaceAll(':', ' ')} --help\`.` : null, details: []}
    if (this.jsonEnabled()) {
      process.stdout.write(`${JSON.stringify({error: body}, null, 2)}\n`)
      return
    }
    const lines = [`Error [${body.code}]: ${body.message}`]
    for (const detail of body.details) lines.push(`  - ${detail}`)
    if (body.hint) lines.push(`  → ${body.hint}`)
    if (!expected && !usage) lines.push('', 'This is a bug in medrec; please report it with the trace below.', error.stack ?? '')
    process.stderr.write(`${lines.join('\n')}\n`)
    return
  }

  protected override async finally(error: Error | undefined): Promise<unknown> {
    if (!error) await this.renderer?.finish()
    return super.finally(error)
  }
}

const fileErrorHints: Record<string, string> = {
  EACCES: 'Check the file\'s owner and permissions (files made with sudo belong to root).',
  EPERM: 'Check the file\'s owner and permissions (files made with sudo belong to root).',
  ENOSPC: 'Free some disk space and run the command again.',
  EROFS: 'The file system is read-only; use a writable --dir.',
  EISDIR: 'A directory stands where a file is expected; move it away.',
  ENOTDIR: 'A file stands where a directory is expected; move it away.',
  EMFILE: 'Too many open files; raise the limit (ulimit -n).',
}

/** A file-system failure (permissions, full disk…) is the user's to fix, not a bug. */
function fileSystemProblem(error: unknown): MedrecError | undefined {
  const e = error as NodeJS.ErrnoException
  if (isMedrecError(error) || typeof e?.code !== 'string' || !(e.code in fileErrorHints)) return undefined
  return new MedrecError(errorCodes.FILE_ACCESS, `Cannot ${e.syscall ?? 'use'} ${e.path ?? 'a file'}: ${e.code}.`, {hint: fileErrorHints[e.code], cause: error})
}

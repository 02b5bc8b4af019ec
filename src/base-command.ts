import {resolve} from 'node:path'

import {Command, Flags, type Interfaces} from '@oclif/core'
import type {Input, ParserOutput} from '@oclif/core/interfaces'
import {BaseError} from 'viem'

import {assertWorkspaceKind, type WorkspaceKind} from './config/workspace-kind.js'
import {explainContractError} from './contracts/send-contract-transaction.js'
import {DockerodeEngine} from './docker/dockerode-engine.js'
import type {ContainerEngine} from './docker/container-engine.js'
import {classifyError} from './errors/classify-error.js'
import {isMedrecError} from './errors/medrec-error.js'
import {UsageError} from './errors/usage-error.js'
import type {ProgressListener} from './progress/progress-events.js'
import {createProgressRenderer, type ProgressRenderer} from './progress/progress-renderer.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof MedrecCommand)['baseFlags'] & T['flags']
>

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

  /**
   * Which kind of directory --dir must be: a network workspace (medrec.yaml), a member workspace
   * (medrec-member.yaml), or either (commands that use no workspace). The other kind is refused
   * before the command reads or writes anything.
   */
  static workspaceKind: WorkspaceKind = 'network'

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

  /** Runs long work that reports progress, and waits until its last step is drawn (a failure is drawn by catch). */
  protected async withProgress<T>(work: (progress: ProgressListener) => Promise<T>): Promise<T> {
    const renderer = this.progress()
    const result = await work(renderer.listener)
    await renderer.finish()
    return result
  }

  protected dockerEngine(): ContainerEngine {
    return new DockerodeEngine()
  }

  /** The network of --dir and the Docker engine its nodes run on: what every service that touches the nodes takes. */
  protected dockerNetwork(flags: {dir: string}): {dir: string; engine: ContainerEngine} {
    return {dir: this.networkDir(flags), engine: this.dockerEngine()}
  }

  /** Logs a result's lines, as a `describe…` function of a service folder wrote them. */
  protected logLines(lines: Iterable<string>): void {
    for (const line of lines) this.log(line)
  }

  /** Writes a human line to stderr unless --json is on (stdout is for results only). */
  protected note(message: string): void {
    if (!this.jsonEnabled()) process.stderr.write(`${message}\n`)
  }

  /** Argument parsing errors are wrong usage (exit 2), whatever oclif's message says. */
  protected override async parse<
    F extends Record<string, unknown>,
    B extends Record<string, unknown>,
    A extends Record<string, unknown>,
  >(options?: Input<F, B, A>, argv?: string[]): Promise<ParserOutput<F, B, A>> {
    let parsed: ParserOutput<F, B, A>
    try {
      parsed = await super.parse(options, argv)
    } catch (error) {
      // A flag's own parser may already have explained the problem the user can fix.
      if (isMedrecError(error)) throw error
      throw new UsageError((error as Error).message.replace(/\nSee more help with --help$/, ''), {cause: error})
    }
    const dir = (parsed.flags as {dir?: unknown}).dir
    const kind = (this.constructor as typeof MedrecCommand).workspaceKind
    if (typeof dir === 'string') await assertWorkspaceKind(resolve(dir), kind, this.id?.replaceAll(':', ' '))
    return parsed
  }

  protected override async catch(thrown: Error): Promise<unknown> {
    // A chain read that failed (node down, a call reverted) is explained like a failed send.
    const error = thrown instanceof BaseError ? explainContractError(thrown, 'read from the chain') : thrown
    await this.renderer?.fail(error as Error)
    const {exitCode, body, trace} = classifyError(error, this.id)
    process.exitCode = exitCode
    if (this.jsonEnabled()) {
      process.stdout.write(`${JSON.stringify({error: body}, null, 2)}\n`)
      return
    }
    const lines = [`Error [${body.code}]: ${body.message}`]
    for (const detail of body.details) lines.push(`  - ${detail}`)
    if (body.hint) lines.push(`  → ${body.hint}`)
    if (trace) lines.push('', 'This is a bug in medrec; please report it with the trace below.', trace.stack ?? '')
    process.stderr.write(`${lines.join('\n')}\n`)
    return
  }

  protected override async finally(error: Error | undefined): Promise<unknown> {
    if (!error) await this.renderer?.finish()
    return super.finally(error)
  }
}

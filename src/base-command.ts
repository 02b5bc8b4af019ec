import {resolve} from 'node:path'

import {Command, Flags, type Interfaces} from '@oclif/core'
import type {Input, ParserOutput} from '@oclif/core/interfaces'

import {assertWorkspaceKind, type WorkspaceKind} from './config/workspace-kind.js'
import {DockerodeEngine} from './docker/dockerode-engine.js'
import type {ContainerEngine} from './docker/container-engine.js'
import {classifyCommandError} from './contracts/classify-command-error.js'
import {isMedrecError} from './errors/medrec-error.js'
import {UsageError} from './errors/usage-error.js'
import type {ProgressListener} from './progress/progress-events.js'
import {createProgressRenderer, type ProgressRenderer} from './progress/progress-renderer.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof MedrecCommand)['baseFlags'] & T['flags']
>

/**
 * How an argument or a flag is named among its service's options: `sqlite-file` → `sqliteFile`,
 * `new_account` → `newAccount` (the names commander and yargs give their options too).
 */
export type OptionName<Name extends string> = Name extends `${infer Head}-${infer Tail}`
  ? `${Head}${Capitalize<OptionName<Tail>>}`
  : Name extends `${infer Head}_${infer Tail}`
    ? `${Head}${Capitalize<OptionName<Tail>>}`
    : Name

/**
 * The options a command passes its service: `dir` resolved, the other arguments and flags by option name, no --json.
 * `Renamed` gives some a service's own name (`{guardian: 'guardians'}`).
 * (A command without arguments has oclif's index signature for them, which names no option.)
 */
export type ServiceOptions<Parsed, Renamed extends Renames = NoRenames> = {dir: string} & {
  [Name in keyof Parsed as string extends Name
    ? never
    : Name extends 'dir' | 'json'
      ? never
      : Name extends keyof Renamed
        ? Renamed[Name] & string
        : OptionName<Name & string>]: Parsed[Name]
}

/** The keys a type names, without an index signature's. */
type NamedKeys<T> = keyof {[Key in keyof T as string extends Key ? never : Key]: T[Key]}

/** Arguments and flags a command gives its service under another name than their own: flag name → option name. */
export type Renames = Readonly<Record<string, string>>

/** No argument or flag renamed. */
type NoRenames = Record<never, string>

/**
 * What a command's service must also be when its options do not fit it: nothing more when they fit, otherwise a
 * property named after the misfit, so that the compiler's message names it. Both ways count: every option the service
 * needs must come from an argument or flag of the right type, and every argument and flag must be an option the service
 * takes, so that none is parsed and then quietly dropped.
 */
export type OptionsFit<Options, Takes> = [Options] extends [Takes]
  ? [Exclude<keyof Options, keyof Takes>] extends [never]
    ? unknown
    : {flagsTheServiceDoesNotTake: Exclude<keyof Options, keyof Takes>}
  : {optionsThatDoNotFit: {[Name in keyof Takes]: Name extends keyof Options ? Options[Name] : 'no such flag'}}

export function optionName(name: string): string {
  return name.replaceAll(/[-_]([a-z0-9])/g, (_, letter: string) => letter.toUpperCase())
}

/** The parsed arguments and flags of a command as {@link ServiceOptions}. */
export function serviceOptions<Args extends object, Flags extends {dir: string}, Renamed extends Renames = NoRenames>(
  args: Args,
  flags: Flags,
  renamed?: Renamed,
): ServiceOptions<Args & Flags, Renamed> {
  const options: Record<string, unknown> = {}
  const from = new Map<string, string>()
  for (const [name, value] of [...Object.entries(args), ...Object.entries(flags)]) {
    if (name === 'dir' || name === 'json') continue
    const option = renamed && Object.hasOwn(renamed, name) ? renamed[name]! : optionName(name)
    // Two names for one option would lose a value; a command declaring them is a bug.
    if (from.has(option)) throw new Error(`Both ${from.get(option)} and ${name} would be the service option ${option}.`)
    from.set(option, name)
    options[option] = value
  }
  options.dir = resolve(flags.dir)
  return options as ServiceOptions<Args & Flags, Renamed>
}

/** What a flag says whenever a command is given it: see {@link warnsWhenGiven}. */
const flagWarnings = new WeakMap<object, string>()

/**
 * Makes `flag` say `warning` on stderr whenever a command is given it (a flag that weakens something), as oclif says a
 * deprecated flag's warning: MedrecCommand.parse says it, so no command that takes the flag can forget to.
 */
export function warnsWhenGiven<Flag extends object>(flag: Flag, warning: string): Flag {
  flagWarnings.set(flag, warning)
  return flag
}

/** What the MedrecErrors of flag conversions said before oclif's parser prefixed them with "Parsing --flag". */
const conversionMessages = new WeakMap<Error, string>()

/**
 * The `parse` of a flag whose text is converted as it is parsed (`Flags.custom<number>({parse: converting(…)})`: "12h"
 * to 43200 seconds, a path made absolute), so that the command hands its service the value the service takes.
 * `convert` gets the text and the flag as the user wrote it (`--delay`), for its messages; a MedrecError it throws is
 * the command's error in its own words, not prefixed by oclif's "Parsing --delay".
 */
export function converting<T>(
  convert: (text: string, flag: string) => T | Promise<T>,
): (text: string, context: unknown, definition: {name: string}) => Promise<T> {
  return async (text, _context, definition) => {
    try {
      return await convert(text, `--${definition.name}`)
    } catch (error) {
      if (isMedrecError(error)) conversionMessages.set(error, error.message)
      throw error
    }
  }
}

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

  /**
   * Parses the command line and calls `service` with the options it names: --dir resolved as `dir`, every other
   * argument and flag under its camelCase name, or under the name `renamed` gives it (`{guardian: 'guardians'}`). For
   * a command whose arguments and flags are its service's options; the compiler refuses a flag the service does not
   * take, an option it needs that no flag gives, and a rename of no flag. A flag that converts its text (a duration to
   * seconds, a path made absolute) does so as it is parsed: see {@link converting}.
   */
  protected async serve<
    F extends Record<string, unknown>,
    B extends Record<string, unknown>,
    A extends Record<string, unknown>,
    Takes,
    Result,
    const Renamed extends Renames = NoRenames,
  >(
    command: Input<F, B, A>,
    service: ((options: Takes) => Promise<Result>) & OptionsFit<ServiceOptions<A & F & B, Renamed>, Takes>,
    renamed?: Renamed & {[Name in Exclude<keyof Renamed, NamedKeys<A & F & B>>]: 'no such argument or flag'},
  ): Promise<Result> {
    const {args, flags} = await this.parse(command)
    // --dir is a base flag of every command.
    return service(serviceOptions(args, flags as typeof flags & {dir: string}, renamed) as Takes)
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
      // A flag's conversion explained a problem the user can fix: say it as it was written.
      if (isMedrecError(error)) {
        error.message = conversionMessages.get(error) ?? error.message
        throw error
      }
      throw new UsageError((error as Error).message.replace(/\nSee more help with --help$/, ''), {cause: error})
    }
    const dir = (parsed.flags as {dir?: unknown}).dir
    const kind = (this.constructor as typeof MedrecCommand).workspaceKind
    if (typeof dir === 'string') await assertWorkspaceKind(resolve(dir), kind, this.id?.replaceAll(':', ' '))
    for (const [name, flag] of Object.entries(options?.flags ?? {})) {
      const warning = flagWarnings.get(flag)
      const value = (parsed.flags as Record<string, unknown>)[name]
      if (warning !== undefined && value !== undefined && value !== false) this.warn(warning)
    }
    return parsed
  }

  protected override async catch(thrown: Error): Promise<unknown> {
    const {exitCode, body, trace} = classifyCommandError(thrown, this.id)
    await this.renderer?.fail(new Error(body.message))
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

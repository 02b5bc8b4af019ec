import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'

import {Args, Flags} from '@oclif/core'
import {afterEach, describe, expect, it, vi} from 'vitest'

import {converting, MedrecCommand, optionName, serviceOptions, warnsWhenGiven} from './base-command.js'
import {errorCodes} from './errors/error-codes.js'
import {MedrecError} from './errors/medrec-error.js'

describe('optionName', () => {
  it('camel-cases flag and argument names, and leaves one-word names', () => {
    expect(optionName('sqlite-file')).toBe('sqliteFile')
    expect(optionName('allow-well-known-chain-id')).toBe('allowWellKnownChainId')
    expect(optionName('new_account')).toBe('newAccount')
    expect(optionName('as')).toBe('as')
  })
})

describe('serviceOptions', () => {
  it('resolves --dir, leaves --json out and names arguments and flags as options', () => {
    const options = serviceOptions(
      {new_account: '0xabc', patient: 'p'},
      {dir: 'net', json: true, as: 'alice', 'sqlite-file': undefined},
    )
    expect(options).toStrictEqual({
      dir: resolve('net'),
      newAccount: '0xabc',
      patient: 'p',
      as: 'alice',
      sqliteFile: undefined,
    })
  })

  it('refuses two names that would be the same option, rather than lose one', () => {
    expect(() => serviceOptions({'local-id': 'a'}, {dir: '.', localId: 'b'})).toThrow(
      'Both local-id and localId would be the service option localId.',
    )
    expect(() => serviceOptions({as: 'a'}, {dir: '.', as: 'b'})).toThrow('Both as and as')
  })

  it('gives renamed arguments and flags their new names, and only those', () => {
    const renamed = {guardian: 'guardians', 'expires-in': 'expiresInSeconds'} as const
    const options = serviceOptions({}, {dir: '.', guardian: ['bob'], 'expires-in': 60, as: 'alice'}, renamed)
    expect(options).toStrictEqual({dir: resolve('.'), guardians: ['bob'], expiresInSeconds: 60, as: 'alice'})
    // A rename onto another flag's option loses nothing either.
    expect(() => serviceOptions({}, {dir: '.', guardian: ['bob'], guardians: 'x'}, {guardian: 'guardians'})).toThrow(
      'Both guardian and guardians would be the service option guardians.',
    )
  })
})

class Probe extends MedrecCommand {
  static override workspaceKind = 'any' as const
  static override args = {new_account: Args.string({required: true})}
  static override flags = {as: Flags.string({required: true}), 'sqlite-file': Flags.string()}

  async run(): Promise<unknown> {
    return this.serve(Probe, async (options: {dir: string; newAccount: string; as: string; sqliteFile?: string}) => ({
      ...options,
    }))
  }

  // Never run: the compiler checks these calls (`npm run typecheck`); each must be refused.
  protected async misfits(): Promise<void> {
    // @ts-expect-error --sqlite-file is a flag the service does not take
    await this.serve(Probe, async (options: {dir: string; newAccount: string; as: string}) => options)
    // @ts-expect-error the service needs `store`, which no argument or flag gives
    await this.serve(Probe, async (options: {dir: string; newAccount: string; as: string; store: string}) => options)
    type WantsNumber = {dir: string; newAccount: string; as: number; sqliteFile?: string}
    // @ts-expect-error --as is a string, the service wants a number
    await this.serve(Probe, async (options: WantsNumber) => options)
  }
}

/** "3x" → 3, anything else refused the way a medrec flag's conversion refuses it. */
function times(text: string, flag: string): number {
  const match = /^(\d+)x$/.exec(text)
  if (!match)
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${flag} "${text}" is not a count.`, {hint: 'Write 3x.'})
  return Number(match[1])
}

class Converting extends MedrecCommand {
  static override workspaceKind = 'any' as const
  static override flags = {
    repeat: Flags.custom<number>({parse: converting(times)})({required: true}),
    'to-whom': Flags.string({multiple: true, default: []}),
  }

  async run(): Promise<unknown> {
    return this.serve(Converting, async (options: {dir: string; count: number; recipients: string[]}) => options, {
      repeat: 'count',
      'to-whom': 'recipients',
    })
  }

  // Never run: the compiler checks these calls (`npm run typecheck`); each must be refused.
  protected async misfits(): Promise<void> {
    type Takes = {dir: string; count: number; recipients: string[]}
    // @ts-expect-error --repeat is converted to a number, the service wants a string
    await this.serve(Converting, async (options: {dir: string; count: string; recipients: string[]}) => options, {
      repeat: 'count',
      'to-whom': 'recipients',
    })
    const renamed = {repeat: 'count', 'to-whom': 'recipients'} as const
    // @ts-expect-error `twice` renames no argument or flag
    await this.serve(Converting, async (options: Takes) => options, {...renamed, twice: 'count2'})
    // @ts-expect-error without the rename, --to-whom would be `toWhom`, which the service does not take
    await this.serve(Converting, async (options: Takes) => options, {repeat: 'count'})
  }
}

describe('MedrecCommand.serve', () => {
  let dir: string | undefined
  afterEach(async () => {
    if (dir) await rm(dir, {recursive: true, force: true})
  })

  it("calls the service with the command line's options", async () => {
    dir = await mkdtemp(join(tmpdir(), 'medrec-serve-'))
    const options = await Probe.run(['0xabc', '--as', 'alice', '--dir', dir], import.meta.url)
    expect(options).toStrictEqual({dir: resolve(dir), newAccount: '0xabc', as: 'alice'})
  })

  it("hands the service the converted value under the service's name", async () => {
    dir = await mkdtemp(join(tmpdir(), 'medrec-serve-'))
    const options = await Converting.run(
      ['--repeat', '3x', '--to-whom', 'a', '--to-whom', 'b', '--dir', dir],
      import.meta.url,
    )
    expect(options).toStrictEqual({dir: resolve(dir), count: 3, recipients: ['a', 'b']})
  })

  it("refuses a value the conversion refuses, in the conversion's own words", async () => {
    dir = await mkdtemp(join(tmpdir(), 'medrec-serve-'))
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
    try {
      await Converting.run(['--repeat', 'often', '--dir', dir, '--json'], import.meta.url)
      expect(process.exitCode).toBe(1)
      expect(JSON.parse(stdout.mock.calls.map(([chunk]) => String(chunk)).join(''))).toStrictEqual({
        error: {
          code: errorCodes.INVALID_ARGUMENT,
          message: '--repeat "often" is not a count.',
          hint: 'Write 3x.',
          details: [],
        },
      })
    } finally {
      stdout.mockRestore()
      process.exitCode = undefined
    }
  })
})

class Weakening extends MedrecCommand {
  static override workspaceKind = 'any' as const
  static override flags = {
    weak: warnsWhenGiven(Flags.boolean({allowNo: true}), '--weak: this is weaker.'),
    name: warnsWhenGiven(Flags.string(), '--name: named.'),
  }

  async run(): Promise<void> {
    await this.parse(Weakening)
  }
}

describe('warnsWhenGiven', () => {
  let dir: string | undefined
  afterEach(async () => {
    vi.restoreAllMocks()
    if (dir) await rm(dir, {recursive: true, force: true})
  })

  async function warnings(argv: string[]): Promise<string> {
    dir ??= await mkdtemp(join(tmpdir(), 'medrec-warns-'))
    // oclif writes a command's warnings with console.error.
    const stderr = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    await Weakening.run([...argv, '--dir', dir], import.meta.url)
    const written = stderr.mock.calls.map((call) => call.map(String).join(' ')).join('\n')
    stderr.mockRestore()
    return written
  }

  it("says a flag's warning whenever the flag is given, and only then", async () => {
    expect(await warnings(['--weak'])).toContain('--weak: this is weaker.')
    expect(await warnings(['--name', 'x'])).toContain('--name: named.')
    const none = await warnings(['--no-weak'])
    expect(none).not.toContain('--weak')
    expect(none).not.toContain('--name')
  })
})

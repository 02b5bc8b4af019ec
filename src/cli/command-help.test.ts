import {readdir} from 'node:fs/promises'
import {join, relative} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import type {Command} from '@oclif/core'
import {describe, expect, it} from 'vitest'

import {parseCommandHelp} from './command-help.js'

const commandsDir = fileURLToPath(new URL('../commands', import.meta.url))

describe('parseCommandHelp', () => {
  it('joins wrapped lines with one space and keeps paragraphs apart', () => {
    // Given a help file whose prose is wrapped and split into paragraphs
    const text = [
      '# summary',
      '',
      'Start the network',
      '(creating one if none exists).',
      '',
      '# description',
      '',
      'Checks Docker first;',
      'then starts the sealers.',
      '',
      '',
      'Idempotent.',
      '',
      '# examples',
      '',
      '- `<%= config.bin %> network up`',
      '- `MEDREC_X=1 <%= config.bin %> network up --json`',
      '',
    ].join('\n')

    // When it is read
    const help = parseCommandHelp(text, 'up.md')

    // Then the text is what `--help` prints, with no Markdown processing
    expect(help).toEqual({
      summary: 'Start the network (creating one if none exists).',
      description: 'Checks Docker first; then starts the sealers.\n\nIdempotent.',
      examples: ['<%= config.bin %> network up', 'MEDREC_X=1 <%= config.bin %> network up --json'],
    })
  })

  it('leaves out description and examples the file does not have', () => {
    expect(parseCommandHelp('# summary\n\nList the sealers.\n', 'list.md')).toEqual({
      summary: 'List the sealers.',
      examples: [],
    })
  })

  it.each([
    ['no summary', '# description\n\nText.\n', 'list.md: no "# summary" section'],
    ['a summary of two paragraphs', '# summary\n\nOne.\n\nTwo.\n', 'list.md:1: "# summary" must be one paragraph'],
    ['text before the first section', 'Hello\n# summary\n\nS.\n', 'list.md:1: text before the first section'],
    ['an unknown section', '# summary\n\nS.\n\n# usage\n\nU.\n', 'list.md:5: unknown section "usage"'],
    ['a section twice', '# summary\n\nS.\n\n# summary\n\nT.\n', 'list.md:5: a second "# summary" section'],
    [
      'sections out of order',
      '# summary\n\nS.\n# examples\n\n- `x`\n# description\n\nD.\n',
      'list.md:7: "# description" comes after',
    ],
    [
      'an example that is not a code item',
      '# summary\n\nS.\n\n# examples\n\nmedrec up\n',
      'list.md:7: an example is one line',
    ],
    ['an empty description', '# summary\n\nS.\n\n# description\n\n', 'list.md:5: "# description" is empty'],
    ['empty examples', '# summary\n\nS.\n\n# examples\n', 'list.md:5: "# examples" is empty'],
  ])('refuses %s, naming the file and line', (_case, text, message) => {
    expect(() => parseCommandHelp(text, 'list.md')).toThrow(message)
  })
})

describe('command help files', () => {
  it('gives every command the summary of the help file beside it; every help file has its command', async () => {
    // Given the command modules and the help files under src/commands
    const files = (await readdir(commandsDir, {recursive: true})).map((file) => file.toString())
    const modules = files.filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    const helpFiles = files.filter((file) => file.endsWith('.md'))

    // Then they pair one to one
    expect(helpFiles.map((file) => file.replace(/\.md$/, '')).sort()).toEqual(
      modules.map((file) => file.replace(/\.ts$/, '')).sort(),
    )
    // And each command, once loaded, carries the summary its file gives it
    for (const file of modules) {
      const command = (await import(pathToFileURL(join(commandsDir, file)).href)).default as typeof Command
      expect(command.summary, relative(commandsDir, file)).toMatch(/^\S.*\S$/)
      expect(Array.isArray(command.examples), relative(commandsDir, file)).toBe(true)
    }
  })
})

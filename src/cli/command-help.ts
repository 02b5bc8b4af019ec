import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import type {Command} from '@oclif/core'

/** What `--help` shows of a command, besides its flags and arguments. */
export interface CommandHelp {
  summary: string
  description?: string
  /** Empty when the file has no examples (oclif's help then shows none). */
  examples: string[]
}

const sections = ['summary', 'description', 'examples'] as const
type Section = (typeof sections)[number]

/**
 * Gives `command` (defined in the module at `moduleUrl`) the summary, description and examples
 * that `--help` shows, read from the Markdown file beside it (`commands/network/up.ts` →
 * `commands/network/up.md`; the build copies it beside the `.js`). Help is prose: kept as
 * paragraphs in a file of its own, it is read, reviewed and edited as text, not as string
 * literals cut to fit a line. A missing or malformed file is a packaging bug and fails when the
 * command loads, naming the file and line.
 */
export function describeCommand(command: typeof Command, moduleUrl: string): void {
  const file = fileURLToPath(moduleUrl).replace(/\.[cm]?[jt]s$/, '.md')
  const help = parseCommandHelp(readFileSync(file, 'utf8'), file)
  command.summary = help.summary
  command.description = help.description
  command.examples = help.examples
}

/**
 * Reads the sections `# summary` (required, one paragraph), `# description` (paragraphs, kept
 * apart by a blank line) and `# examples` (one `` - `command` `` item a line), in that order.
 * The text is taken as written, with no Markdown processing: a paragraph's lines join with one
 * space, so wrapping them changes nothing that `--help` prints.
 */
export function parseCommandHelp(text: string, file: string): CommandHelp {
  const bodies = new Map<Section, {line: number; lines: string[]}>()
  let current: {line: number; lines: string[]} | undefined
  const lines = text.split(/\r?\n/)
  lines.forEach((raw, index) => {
    const line = raw.trimEnd()
    const heading = /^#\s+(.*)$/.exec(line)
    if (heading) {
      const name = heading[1] as Section
      const at = sections.indexOf(name)
      if (at < 0) fail(file, index, `unknown section "${heading[1]}" (expected one of: ${sections.join(', ')})`)
      if (bodies.has(name)) fail(file, index, `a second "# ${name}" section`)
      const later = [...bodies.keys()].find((seen) => sections.indexOf(seen) > at)
      if (later) fail(file, index, `"# ${name}" comes after "# ${later}"; the order is ${sections.join(', ')}`)
      current = {line: index + 1, lines: []}
      bodies.set(name, current)
    } else if (current) {
      current.lines.push(line)
    } else if (line !== '') {
      fail(file, index, 'text before the first section (start with "# summary")')
    }
  })

  const summary = bodies.get('summary')
  if (!summary) throw new Error(`${file}: no "# summary" section`)
  const summaryParagraphs = paragraphs(summary.lines)
  if (summaryParagraphs.length !== 1) {
    fail(file, summary.line - 1, `"# summary" must be one paragraph (found ${summaryParagraphs.length})`)
  }

  const help: CommandHelp = {summary: summaryParagraphs[0]!, examples: []}
  const description = bodies.get('description')
  if (description) {
    const text = paragraphs(description.lines).join('\n\n')
    if (text === '') fail(file, description.line - 1, '"# description" is empty')
    help.description = text
  }
  const examples = bodies.get('examples')
  if (examples) {
    examples.lines.forEach((line, offset) => {
      if (line === '') return
      const item = /^- `([^`]+)`$/.exec(line)
      if (!item) fail(file, examples.line + offset, 'an example is one line: - `command`')
      help.examples.push(item[1]!)
    })
    if (help.examples.length === 0) fail(file, examples.line - 1, '"# examples" is empty')
  }
  return help
}

function paragraphs(lines: readonly string[]): string[] {
  const found: string[] = []
  let words: string[] = []
  for (const line of [...lines, '']) {
    if (line.trim() === '') {
      if (words.length > 0) found.push(words.join(' '))
      words = []
    } else {
      words.push(line.trim())
    }
  }
  return found
}

function fail(file: string, index: number, problem: string): never {
  throw new Error(`${file}:${index + 1}: ${problem}`)
}

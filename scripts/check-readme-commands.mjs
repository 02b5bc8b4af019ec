#!/usr/bin/env node
// Fails when README.md's command reference (between <!-- commands --> and <!-- commandsstop -->)
// is not what `oclif readme` makes of the built commands and their help files, so a new command,
// flag or help text cannot leave the README behind. Needs `npm run build` first.
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'

const section = (text) => {
  const start = text.search(/^<!-- commands -->$/m)
  const end = text.search(/^<!-- commandsstop -->$/m)
  if (start < 0 || end < start) throw new Error('README.md: no <!-- commands --> … <!-- commandsstop --> section')
  return text.slice(start, end).split('\n')
}

// oclif wraps help to COLUMNS when it is set; the README is generated at its default width.
const {COLUMNS: _columns, ...env} = process.env
const generated = section(execFileSync('node_modules/.bin/oclif', ['readme', '--dry-run'], {env, encoding: 'utf8'}))
const written = section(readFileSync('README.md', 'utf8'))

const line = generated.findIndex((text, index) => text !== written[index])
if (line >= 0 || generated.length !== written.length) {
  const at = line >= 0 ? line : Math.min(generated.length, written.length)
  console.error(`README.md's command reference is out of date (first difference ${at + 1} lines into it):`)
  console.error(`  README:    ${JSON.stringify(written[at] ?? '(ends)')}`)
  console.error(`  generated: ${JSON.stringify(generated[at] ?? '(ends)')}`)
  console.error('Run `npm run build && npx oclif readme` and commit README.md.')
  process.exit(1)
}

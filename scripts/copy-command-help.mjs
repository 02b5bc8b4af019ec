#!/usr/bin/env node
// Copies each command's help (src/commands/**/*.md, read beside the command at load) into dist/,
// since tsc emits only JavaScript. Run by `npm run build` before `oclif manifest` loads the commands.
import {statSync} from 'node:fs'
import {cp} from 'node:fs/promises'

await cp('src/commands', 'dist/commands', {
  recursive: true,
  filter: (source) => source.endsWith('.md') || statSync(source).isDirectory(),
})

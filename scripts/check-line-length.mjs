#!/usr/bin/env node
// Fails when a source line is longer than 120 characters. Biome's formatter keeps to that width
// but never splits a long string literal or comment, so those would slip through without this.
import {readdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'

const maxLength = 120
const roots = ['src', 'test', 'bench', 'scripts', 'vitest.config.ts']
const skipped = new Set(['src/contracts/abi', 'bench/results', 'node_modules'])
const sourceFile = /\.(?:ts|mts|cts|js|mjs|cjs)$/

async function* sourceFiles(path) {
  if (skipped.has(path)) return
  const entries = await readdir(path, {withFileTypes: true}).catch((error) => {
    if (error.code === 'ENOTDIR') return undefined
    throw error
  })
  if (entries === undefined) {
    if (sourceFile.test(path)) yield path
    return
  }
  for (const entry of entries) {
    const child = join(path, entry.name)
    if (entry.isDirectory()) yield* sourceFiles(child)
    else if (entry.isFile() && sourceFile.test(entry.name) && !skipped.has(child)) yield child
  }
}

let offenders = 0
for (const start of roots) {
  for await (const file of sourceFiles(start)) {
    const lines = (await readFile(file, 'utf8')).split('\n')
    lines.forEach((line, index) => {
      // Characters as a reader counts them, not UTF-16 units: '–' and '≥' are one column each.
      const length = [...line].length
      if (length > maxLength) {
        offenders += 1
        console.log(`${file}:${index + 1}: ${length} characters (at most ${maxLength})`)
      }
    })
  }
}
if (offenders > 0) {
  console.error(`${offenders} line(s) longer than ${maxLength} characters.`)
  process.exit(1)
}

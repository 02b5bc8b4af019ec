import {mkdtemp, rm, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Readable} from 'node:stream'

import {extract} from 'tar-stream'
import {afterEach, describe, expect, it} from 'vitest'

import {createTarArchive} from './tar-archive.js'

/** Every entry of a tar stream: name, type, mode and content. */
async function readTar(archive: Readable) {
  const entries: {name: string; type: string | null | undefined; mode: number | undefined; content: string}[] = []
  const reader = extract()
  // pipe() forwards data, not errors: a failed archive must fail the reader.
  archive.on('error', (error) => reader.destroy(error))
  archive.pipe(reader)
  for await (const entry of reader) {
    const chunks: Buffer[] = []
    for await (const chunk of entry) chunks.push(chunk as Buffer)
    entries.push({
      name: entry.header.name,
      type: entry.header.type,
      mode: entry.header.mode,
      content: Buffer.concat(chunks).toString(),
    })
  }
  return entries
}

const dirs: string[] = []
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, {recursive: true, force: true})
})

describe('createTarArchive', () => {
  it('streams host files (following links) after in-memory ones, in order, with their modes', async () => {
    // Given a host file, a link to it, and an in-memory file
    const dir = await mkdtemp(join(tmpdir(), 'medrec-tar-'))
    dirs.push(dir)
    const big = 'x'.repeat(300_000)
    await writeFile(join(dir, 'big'), big)
    await symlink(join(dir, 'big'), join(dir, 'link'))
    // When they are archived
    const entries = await readTar(
      createTarArchive(
        [
          {path: 'Dockerfile', content: 'FROM scratch\n', mode: 0o644},
          {path: 'bin/big', file: join(dir, 'big'), mode: 0o755},
          {path: 'lib/link', file: join(dir, 'link'), mode: 0o644},
        ],
        ['tmp/'],
      ),
    )
    // Then each is there, whole, as a regular file
    expect(entries.map((e) => [e.name, e.type, e.mode])).toEqual([
      ['tmp/', 'directory', 0o755],
      ['Dockerfile', 'file', 0o644],
      ['bin/big', 'file', 0o755],
      ['lib/link', 'file', 0o644],
    ])
    expect(entries[2]!.content).toBe(big)
    expect(entries[3]!.content).toBe(big)
  })

  it('fails the stream when a host file is missing', async () => {
    const archive = createTarArchive([{path: 'gone', file: '/nonexistent/medrec-file', mode: 0o644}])
    await expect(readTar(archive)).rejects.toThrow(/ENOENT/)
  })
})

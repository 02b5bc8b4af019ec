import type {Readable} from 'node:stream'

import {pack} from 'tar-stream'

export type ArchiveEntry = {path: string; content: string | Buffer; mode: number}

/**
 * A tar stream of in-memory files, for the Docker archive and build APIs. Files go
 * straight from memory into a volume or build context: no temporary copies on disk.
 */
export function createTarArchive(entries: readonly ArchiveEntry[], directories: readonly string[] = []): Readable {
  const archive = pack()
  const mtime = new Date(0)
  for (const dir of directories) archive.entry({name: dir, type: 'directory', mode: 0o755, mtime})
  for (const entry of entries) {
    archive.entry(
      {name: entry.path, mode: entry.mode, mtime, uid: 0, gid: 0},
      typeof entry.content === 'string' ? Buffer.from(entry.content) : entry.content,
    )
  }
  archive.finalize()
  return archive as unknown as Readable
}

import {createReadStream} from 'node:fs'
import {stat} from 'node:fs/promises'
import type {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'

import {pack} from 'tar-stream'

export type ArchiveEntry = {path: string; content: string | Buffer; mode: number}
/** A file streamed from the host's disk (symbolic links followed), for large build contexts. */
export type ArchiveFileEntry = {path: string; file: string; mode: number}

/**
 * A tar stream of in-memory files (and host files, streamed one after the other), for the
 * Docker archive and build APIs. Files go straight from memory or disk into a volume or
 * build context: no temporary copies on disk.
 */
export function createTarArchive(
  entries: readonly (ArchiveEntry | ArchiveFileEntry)[],
  directories: readonly string[] = [],
): Readable {
  const archive = pack()
  const mtime = new Date(0)
  const fill = async () => {
    for (const dir of directories) archive.entry({name: dir, type: 'directory', mode: 0o755, mtime})
    for (const entry of entries) {
      const header = {name: entry.path, mode: entry.mode, mtime, uid: 0, gid: 0}
      if ('content' in entry) {
        archive.entry(header, typeof entry.content === 'string' ? Buffer.from(entry.content) : entry.content)
        continue
      }
      const {size} = await stat(entry.file)
      await pipeline(createReadStream(entry.file), archive.entry({...header, size}))
    }
    archive.finalize()
  }
  fill().catch((error: unknown) => archive.destroy(error as Error))
  return archive as unknown as Readable
}

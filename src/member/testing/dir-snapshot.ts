// Test support: what a directory holds, to show that a refused command wrote nothing.
import {createHash} from 'node:crypto'
import {readdir, readFile, stat} from 'node:fs/promises'
import {join, relative} from 'node:path'

/**
 * Every entry under `dir` (recursively) with its mode, its modification time and, for files, a hash
 * of its bytes: a file rewritten with the same bytes shows too. Empty if `dir` does not exist.
 */
export async function snapshotDir(dir: string): Promise<string[]> {
  let entries: import('node:fs').Dirent[]
  try {
    entries = await readdir(dir, {recursive: true, withFileTypes: true})
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  const lines: string[] = []
  for (const entry of entries) {
    const path = join(entry.parentPath, entry.name)
    const info = await stat(path)
    const mode = (info.mode & 0o777).toString(8)
    const hash = entry.isFile()
      ? createHash('sha256')
          .update(await readFile(path))
          .digest('hex')
          .slice(0, 16)
      : 'dir'
    lines.push(`${relative(dir, path)} ${mode} ${info.mtimeMs} ${hash}`)
  }
  return lines.sort()
}

/** Every file under `dir`, with its bytes. */
export async function readAllFiles(dir: string): Promise<{path: string; bytes: Buffer}[]> {
  const entries = await readdir(dir, {recursive: true, withFileTypes: true})
  const files: {path: string; bytes: Buffer}[] = []
  for (const entry of entries) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    files.push({path, bytes: await readFile(path)})
  }
  return files
}

import {mkdtemp, readdir, readFile, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'
import {z} from 'zod'

import {errorCodes} from '../errors/error-codes.js'
import {ensureStateDir, networkPaths} from './network-files.js'
import {readStateFile, writeStateFile} from './state-file.js'

const schema = z.object({version: z.literal(1), ids: z.record(z.string(), z.string()).default({})})

async function workspacePaths() {
  return networkPaths(await mkdtemp(join(tmpdir(), 'medrec-state-')))
}

/** A workspace whose state file holds `text`, as an edit or damage left it. */
async function workspaceWithStateText(text: string) {
  const paths = await workspacePaths()
  await ensureStateDir(paths)
  await writeFile(paths.stateFile, text)
  return paths
}

describe('state files', () => {
  it('reads nothing where no state was written yet', async () => {
    const paths = await workspacePaths()
    expect(await readStateFile(paths.stateFile, schema)).toBeUndefined()
  })

  it('writes a state whole and private, leaves no temporary file, and reads it back', async () => {
    // Given a state written into a fresh workspace
    const paths = await workspacePaths()
    await writeStateFile(paths, paths.stateFile, {version: 1, ids: {a: 'b'}})
    // Then it reads back, the file is the user's only, and only it and .gitignore and keys/ are in .medrec
    expect(await readStateFile(paths.stateFile, schema)).toEqual({version: 1, ids: {a: 'b'}})
    expect((await stat(paths.stateFile)).mode & 0o777).toBe(0o600)
    expect((await readdir(paths.stateDir)).sort()).toEqual(['.gitignore', 'keys', 'state.json'])
    expect(await readFile(paths.stateFile, 'utf8')).toBe('{\n  "version": 1,\n  "ids": {\n    "a": "b"\n  }\n}\n')
  })

  it('refuses a state file that is not JSON', async () => {
    const paths = await workspaceWithStateText('{"version": 1,')
    await expect(readStateFile(paths.stateFile, schema)).rejects.toMatchObject({
      code: errorCodes.STATE_INVALID,
      message: `${paths.stateFile} is not JSON.`,
    })
  })

  it('refuses a state file of another shape, naming each field that is wrong', async () => {
    const paths = await workspaceWithStateText('{"version": 2, "ids": {"a": 3}}')
    await expect(readStateFile(paths.stateFile, schema)).rejects.toMatchObject({
      code: errorCodes.STATE_INVALID,
      details: [expect.stringMatching(/^version: /), expect.stringMatching(/^ids\.a: /)],
    })
  })
})

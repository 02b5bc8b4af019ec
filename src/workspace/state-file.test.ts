import {spawn} from 'node:child_process'
import {access, mkdtemp, readdir, readFile, stat, writeFile} from 'node:fs/promises'
import {hostname, tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'
import {z} from 'zod'

import {errorCodes} from '../errors/error-codes.js'
import {ensureStateDir, networkPaths} from './network-files.js'
import {readStateFile, updateStateFile, writeStateFile} from './state-file.js'
import {awaitLine, sourceModuleUrl, startSourceProcess} from './testing/source-process.js'

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

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  )

/** Adds ids[key] = value to the state as the file holds it then (a fresh state when there is none). */
function addId(paths: ReturnType<typeof networkPaths>, key: string, value = 'x', lockTimeoutMs?: number) {
  return updateStateFile(
    paths,
    paths.stateFile,
    schema,
    (current) => ({version: 1 as const, ids: {...current?.ids, [key]: value}}),
    lockTimeoutMs === undefined ? {} : {lockTimeoutMs},
  )
}

/** Another process that adds ids `${name}-0` … `${name}-${count - 1}` at once when told "go". */
function writerProcess(dir: string, name: string, count: number) {
  return startSourceProcess(`
    const {networkPaths} = await import(${JSON.stringify(sourceModuleUrl('workspace/network-files.ts'))})
    const {updateStateFile} = await import(${JSON.stringify(sourceModuleUrl('workspace/state-file.ts'))})
    const {z} = await import('zod')
    const schema = z.object({version: z.literal(1), ids: z.record(z.string(), z.string()).default({})})
    const paths = networkPaths(${JSON.stringify(dir)})
    console.log('ready')
    ${awaitLine('go')}
    const keys = Array.from({length: ${count}}, (_, i) => ${JSON.stringify(name)} + '-' + i)
    await Promise.all(keys.map((key) =>
      updateStateFile(paths, paths.stateFile, schema, (current) => ({version: 1, ids: {...current?.ids, [key]: 'x'}})),
    ))
    process.exit(0)
  `)
}

/** Another process that takes the state file's lock, says "locked", and on "go" writes ids.child and lets go. */
function lockHolderProcess(dir: string) {
  return startSourceProcess(`
    const {networkPaths} = await import(${JSON.stringify(sourceModuleUrl('workspace/network-files.ts'))})
    const {withLockFile} = await import(${JSON.stringify(sourceModuleUrl('workspace/file-lock.ts'))})
    const {writeStateFile} = await import(${JSON.stringify(sourceModuleUrl('workspace/state-file.ts'))})
    const paths = networkPaths(${JSON.stringify(dir)})
    await withLockFile(paths.stateFile + '.lock', {what: 'the test state'}, async () => {
      console.log('locked')
      ${awaitLine('go')}
      await writeStateFile(paths, paths.stateFile, {version: 1, ids: {child: 'x'}})
    })
    process.exit(0)
  `)
}

/** A pid that no process has any more: one of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], {stdio: 'ignore'})
  await new Promise((resolve) => child.once('exit', resolve))
  return child.pid!
}

describe('updating a state file', () => {
  it('keeps every update of many writers at once, in this process and in two others', async () => {
    // Given two other processes and this one, each about to add 20 ids to one state file at once
    const paths = await workspacePaths()
    const others = [writerProcess(paths.dir, 'b', 20), writerProcess(paths.dir, 'c', 20)]
    await Promise.all(others.map((other) => other.printed('ready')))
    // When they all start together
    for (const other of others) other.send('go')
    await Promise.all(Array.from({length: 20}, (_, i) => addId(paths, `a-${i}`)))
    expect(await Promise.all(others.map((other) => other.exited))).toEqual([0, 0])
    // Then no update was lost, and no lock file is left
    const ids = Object.keys((await readStateFile(paths.stateFile, schema))?.ids ?? {})
    expect(ids).toHaveLength(60)
    for (const name of ['a', 'b', 'c']) expect(ids.filter((id) => id.startsWith(`${name}-`))).toHaveLength(20)
    expect(await exists(`${paths.stateFile}.lock`)).toBe(false)
  })

  it('waits while another process holds the lock, then changes the state as that process left it', async () => {
    // Given another process inside its read-modify-write of the state file
    const paths = await workspacePaths()
    await ensureStateDir(paths)
    const holder = lockHolderProcess(paths.dir)
    await holder.printed('locked')
    // When this one updates it meanwhile, and the other then writes and lets go
    const update = addId(paths, 'mine')
    holder.send('go')
    // Then this update came after the other's write and kept it
    expect(await update).toEqual({version: 1, ids: {child: 'x', mine: 'x'}})
    expect(await holder.exited).toBe(0)
    expect(await readStateFile(paths.stateFile, schema)).toEqual({version: 1, ids: {child: 'x', mine: 'x'}})
  })

  it('fails naming a live holder that keeps the lock past the wait; takes it once that one died', async () => {
    // Given another process that holds the lock and does not let go
    const paths = await workspacePaths()
    await writeStateFile(paths, paths.stateFile, {version: 1, ids: {}})
    const holder = lockHolderProcess(paths.dir)
    await holder.printed('locked')
    // When this one waits for it a short time, Then it fails naming that process, writing nothing
    const refusal = await addId(paths, 'mine', 'x', 200).catch((error: unknown) => error)
    expect(refusal).toMatchObject({code: errorCodes.STATE_LOCKED})
    expect((refusal as Error).message).toContain(`process ${holder.pid} on ${hostname()}`)
    expect(await readStateFile(paths.stateFile, schema)).toEqual({version: 1, ids: {}})
    // When the holder is killed without letting go, Then its lock is stale and the update goes through
    holder.kill()
    await holder.exited
    expect(await exists(`${paths.stateFile}.lock`)).toBe(true)
    expect(await addId(paths, 'mine', 'x', 200)).toEqual({version: 1, ids: {mine: 'x'}})
    expect(await exists(`${paths.stateFile}.lock`)).toBe(false)
  })

  it('takes over a lock file left by a process that is gone', async () => {
    // Given a lock file of a process of this host that has exited
    const paths = await workspacePaths()
    await ensureStateDir(paths)
    const owner = {pid: await deadPid(), hostname: hostname(), startedAt: '2020-01-01T00:00:00Z', token: 'gone'}
    await writeFile(`${paths.stateFile}.lock`, JSON.stringify(owner))
    // Then an update does not wait for it (a short wait would fail) and leaves no lock behind
    expect(await addId(paths, 'mine', 'x', 200)).toEqual({version: 1, ids: {mine: 'x'}})
    expect(await exists(`${paths.stateFile}.lock`)).toBe(false)
  })

  it('writes nothing when the change leaves the state as it is', async () => {
    const paths = await workspacePaths()
    await writeStateFile(paths, paths.stateFile, {version: 1, ids: {a: 'b'}})
    const before = await stat(paths.stateFile)
    expect(await updateStateFile(paths, paths.stateFile, schema, () => undefined)).toEqual({version: 1, ids: {a: 'b'}})
    expect((await stat(paths.stateFile)).mtimeMs).toBe(before.mtimeMs)
    expect(await updateStateFile(paths, join(paths.stateDir, 'none.json'), schema, () => undefined)).toBeUndefined()
  })
})

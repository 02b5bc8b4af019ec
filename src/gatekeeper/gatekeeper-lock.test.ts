import {spawn} from 'node:child_process'
import {access, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {hostname, tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {acquireGatekeeperLock} from './gatekeeper-lock.js'

async function temporaryDirectory(): Promise<{dir: string; [Symbol.asyncDispose](): Promise<void>}> {
  const dir = await mkdtemp(join(tmpdir(), 'medrec-lock-'))
  return {dir, [Symbol.asyncDispose]: () => rm(dir, {recursive: true, force: true})}
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  )
const alreadyRunning = expect.objectContaining({code: errorCodes.GATEKEEPER_ALREADY_RUNNING})
const repo = fileURLToPath(new URL('../..', import.meta.url))

/** A real Node process that takes the lock, says so on stdout, then does what `then` says. */
function lockInChild(path: string, then: 'wait' | 'exit') {
  const script = `
    const {acquireGatekeeperLock} = await import(${JSON.stringify(join(repo, 'src/gatekeeper/gatekeeper-lock.ts'))})
    await acquireGatekeeperLock(${JSON.stringify(path)}, 'a test provider')
    process.stdout.write('locked\\n')
    if (${JSON.stringify(then)} === 'wait') setInterval(() => {}, 1000)
  `
  const args = ['--import', join(repo, 'bench/ts-resolve-hook.mjs'), '--input-type=module', '-e', script]
  const child = spawn(process.execPath, args, {stdio: ['ignore', 'pipe', 'inherit']})
  const ready = new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve(child.pid!))
    child.once('exit', (code) => reject(new Error(`the child exited (${code}) before taking the lock`)))
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  return {ready, exited, kill: () => child.kill('SIGKILL')}
}

describe('acquireGatekeeperLock', () => {
  it('refuses a second gatekeeper on the same lock in this process, and allows one after release', async () => {
    await using tmp = await temporaryDirectory()
    const path = join(tmp.dir, 'audit.log.lock')
    const first = await acquireGatekeeperLock(path, 'mercy')
    await expect(acquireGatekeeperLock(path, 'mercy')).rejects.toEqual(alreadyRunning)
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({pid: process.pid, hostname: hostname()})
    await first.release()
    expect(await exists(path)).toBe(false)
    const second = await acquireGatekeeperLock(path, 'mercy')
    await second.release()
  })

  it('refuses while another live process holds the lock, and takes it over once that process was killed', async () => {
    await using tmp = await temporaryDirectory()
    const path = join(tmp.dir, 'audit.log.lock')
    // Given another process holding the lock
    const child = lockInChild(path, 'wait')
    const pid = await child.ready
    // Then this one is refused, naming the holder
    const refusal = await acquireGatekeeperLock(path, 'mercy').catch((error: unknown) => error)
    expect(refusal).toEqual(alreadyRunning)
    expect((refusal as Error).message).toContain(String(pid))
    // When the holder is killed without a chance to clean up, Then its lock is stale and taken over
    child.kill()
    await child.exited
    expect(await exists(path)).toBe(true)
    const lock = await acquireGatekeeperLock(path, 'mercy')
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({pid: process.pid})
    await lock.release()
  })

  it('is released when the holding process exits without releasing it', async () => {
    await using tmp = await temporaryDirectory()
    const path = join(tmp.dir, 'audit.log.lock')
    const child = lockInChild(path, 'exit')
    await child.ready
    expect(await child.exited).toBe(0)
    expect(await exists(path)).toBe(false)
  })

  it('takes over a lock left by an earlier process with our pid (restarted container), and a garbled one', async () => {
    await using tmp = await temporaryDirectory()
    const path = join(tmp.dir, 'audit.log.lock')
    const startedAt = '2020-01-01T00:00:00Z'
    await writeFile(path, JSON.stringify({pid: process.pid, hostname: hostname(), startedAt, token: 'earlier'}))
    const lock = await acquireGatekeeperLock(path, 'mercy')
    await lock.release()
    await writeFile(path, 'not json')
    const again = await acquireGatekeeperLock(path, 'mercy')
    await again.release()
  })

  it('respects a lock taken on another host, which it cannot check', async () => {
    await using tmp = await temporaryDirectory()
    const path = join(tmp.dir, 'audit.log.lock')
    const startedAt = '2020-01-01T00:00:00Z'
    await writeFile(path, JSON.stringify({pid: 1, hostname: `not-${hostname()}`, startedAt, token: 'elsewhere'}))
    await expect(acquireGatekeeperLock(path, 'mercy')).rejects.toEqual(alreadyRunning)
    expect(await exists(path)).toBe(true)
  })
})

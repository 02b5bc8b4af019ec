import {chmod, mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {networkPaths} from '../workspace/network-files.js'
import {auditKeyPath, loadOrCreateAuditKey, readAuditKey} from './audit-key.js'

async function temporaryDirectory(): Promise<{dir: string; [Symbol.asyncDispose](): Promise<void>}> {
  const dir = await mkdtemp(join(tmpdir(), 'medrec-audit-key-'))
  return {dir, [Symbol.asyncDispose]: () => rm(dir, {recursive: true, force: true})}
}

describe('audit key', () => {
  it("lives in the provider's keys directory, not beside the log", () => {
    const paths = networkPaths('/net')
    expect(auditKeyPath(paths, 'mercy')).toBe('/net/.medrec/keys/mercy/audit-mac.key')
  })

  it('is created with a new log, private to its owner, and the same key is read back', async () => {
    // Given no key and no log
    await using tmp = await temporaryDirectory()
    const keyPath = join(tmp.dir, 'keys', 'mercy', 'audit-mac.key')
    const logPath = join(tmp.dir, 'audit.log')

    // When the gatekeeper loads its key twice
    const first = await loadOrCreateAuditKey(keyPath, logPath)
    const second = await loadOrCreateAuditKey(keyPath, logPath)

    // Then one 32-byte key was made, mode 0600 in a 0700 directory, and kept
    expect(first).toHaveLength(32)
    expect(second.equals(first)).toBe(true)
    expect((await stat(keyPath)).mode & 0o777).toBe(0o600)
    expect((await stat(join(tmp.dir, 'keys', 'mercy'))).mode & 0o777).toBe(0o700)
    expect((await readFile(keyPath, 'utf8')).trim()).toBe(first.toString('hex'))
  })

  it('is never made anew for a log that has lines: a lost key is an error', async () => {
    await using tmp = await temporaryDirectory()
    const logPath = join(tmp.dir, 'audit.log')
    await writeFile(logPath, '{"seq":1}\n')
    await expect(loadOrCreateAuditKey(join(tmp.dir, 'audit-mac.key'), logPath)).rejects.toMatchObject({
      code: errorCodes.KEY_FILE_MISSING,
    })
  })

  it('refuses a key readable by others, or one that is not a long enough hex key', async () => {
    await using tmp = await temporaryDirectory()
    const keyPath = join(tmp.dir, 'audit-mac.key')
    await writeFile(keyPath, 'ab'.repeat(32), {mode: 0o600})
    expect(await readAuditKey(keyPath)).toHaveLength(32)
    await chmod(keyPath, 0o644)
    await expect(readAuditKey(keyPath)).rejects.toMatchObject({
      code: errorCodes.AUDIT_KEY_INVALID,
      hint: expect.stringContaining('chmod 600'),
    })
    await chmod(keyPath, 0o600)
    await writeFile(keyPath, 'ab'.repeat(16))
    await expect(readAuditKey(keyPath)).rejects.toMatchObject({code: errorCodes.AUDIT_KEY_INVALID})
    await writeFile(keyPath, 'not hex at all, but long enough to be 32 bytes or more of text')
    await expect(readAuditKey(keyPath)).rejects.toMatchObject({code: errorCodes.AUDIT_KEY_INVALID})
  })
})

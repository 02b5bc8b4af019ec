import {createHash} from 'node:crypto'
import {mkdtemp, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {keccak256, stringToHex} from 'viem'
import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {networkPaths} from '../network/network-files.js'
import {ensureIdentityKey, identityKeyPath, resolveIdentity} from './identity-reference.js'

describe('resolveIdentity', () => {
  it('derives the same identity for the same local identifier with a private key file, never a plain hash', async () => {
    // Given a network directory with its identity key
    const paths = networkPaths(await mkdtemp(join(tmpdir(), 'medrec-id-')))
    await ensureIdentityKey(paths)
    // When a local identifier is resolved twice
    const first = await resolveIdentity(paths, {localId: 'MRN-0042'})
    const second = await resolveIdentity(paths, {localId: ' MRN-0042 '})
    // Then it is stable, keyed, and its key file is private
    expect(first).toMatch(/^0x[0-9a-f]{64}$/)
    expect(second).toBe(first)
    expect(first).not.toBe(keccak256(stringToHex('MRN-0042')))
    expect(first).not.toBe(`0x${createHash('sha256').update('MRN-0042').digest('hex')}`)
    expect((await stat(identityKeyPath(paths))).mode & 0o777).toBe(0o600)
    // And another directory (another consortium key) derives another identity
    const other = networkPaths(await mkdtemp(join(tmpdir(), 'medrec-id-')))
    await ensureIdentityKey(other)
    expect(await resolveIdentity(other, {localId: 'MRN-0042'})).not.toBe(first)
  })

  it('never invents an identity key: without the consortium\'s key a local identifier is refused', async () => {
    const paths = networkPaths(await mkdtemp(join(tmpdir(), 'medrec-id-')))
    await expect(resolveIdentity(paths, {localId: 'MRN-0042'})).rejects.toMatchObject({code: errorCodes.KEY_FILE_MISSING, hint: expect.stringContaining('Copy the consortium')})
    await expect(stat(identityKeyPath(paths))).rejects.toThrow()
  })

  it('takes a 32-byte identity as it is and refuses anything else', async () => {
    const paths = networkPaths(await mkdtemp(join(tmpdir(), 'medrec-id-')))
    const id = `0x${'AB'.repeat(32)}`
    expect(await resolveIdentity(paths, {id})).toBe(id.toLowerCase())
    await expect(resolveIdentity(paths, {id: '0x1234'})).rejects.toMatchObject({code: errorCodes.INVALID_ARGUMENT})
    await expect(resolveIdentity(paths, {id, localId: 'x'})).rejects.toMatchObject({code: errorCodes.INVALID_ARGUMENT})
    await expect(resolveIdentity(paths, {})).rejects.toMatchObject({code: errorCodes.INVALID_ARGUMENT})
  })
})

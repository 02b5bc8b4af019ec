import {createHash} from 'node:crypto'
import {mkdtemp, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {keccak256, stringToHex} from 'viem'
import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {networkPaths} from '../workspace/network-files.js'
import {patientIdentity} from './derive-identity.js'
import {resolveEnrolmentReference, resolveIdentity, resolvePatientIdentity} from './identity-reference.js'
import {ensureIdentityKey, identityKeyPath} from '../workspace/identity-key.js'

describe('resolveIdentity', () => {
  it('derives the same identity for the same local identifier with a private key file, \
never a plain hash', async () => {
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

  it("never invents an identity key: without the consortium's key a local identifier is refused", async () => {
    const paths = networkPaths(await mkdtemp(join(tmpdir(), 'medrec-id-')))
    await expect(resolveIdentity(paths, {localId: 'MRN-0042'})).rejects.toMatchObject({
      code: errorCodes.KEY_FILE_MISSING,
      hint: expect.stringContaining('Copy the consortium'),
    })
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

  it("turns a local id into a patient identity in the given provider's namespace, and takes --id as is", async () => {
    // Given a network directory with its identity key and two providers
    const paths = networkPaths(await mkdtemp(join(tmpdir(), 'medrec-id-')))
    await ensureIdentityKey(paths)
    const mercy = `0x${'11'.repeat(32)}` as const
    const stAnne = `0x${'22'.repeat(32)}` as const
    // When MRN-0042 is resolved at each
    const ref = await resolveEnrolmentReference(paths, {localId: 'MRN-0042'})
    const atMercy = await resolvePatientIdentity(paths, {localId: 'MRN-0042'}, mercy)
    const atStAnne = await resolvePatientIdentity(paths, {localId: 'MRN-0042'}, stAnne)
    // Then each is the Registrar's identity for that provider and the keyed reference, and they differ
    expect(ref).toBe(await resolveIdentity(paths, {localId: 'MRN-0042'}))
    expect(atMercy).toBe(patientIdentity(mercy, ref))
    expect(atStAnne).toBe(patientIdentity(stAnne, ref))
    expect(atMercy).not.toBe(atStAnne)
    // And an explicit identity (a patient enrolled elsewhere) is used as it is, whatever the provider
    const id = `0x${'ab'.repeat(32)}`
    expect(await resolvePatientIdentity(paths, {id}, mercy)).toBe(id)
    await expect(resolvePatientIdentity(paths, {id, localId: 'MRN-0042'}, mercy)).rejects.toMatchObject({
      code: errorCodes.INVALID_ARGUMENT,
    })
    await expect(resolvePatientIdentity(paths, {}, mercy)).rejects.toMatchObject({code: errorCodes.INVALID_ARGUMENT})
  })

  it('takes an enrolment reference as 32 bytes of hex or from a local id, never both', async () => {
    const paths = networkPaths(await mkdtemp(join(tmpdir(), 'medrec-id-')))
    const ref = `0x${'CD'.repeat(32)}`
    expect(await resolveEnrolmentReference(paths, {enrolmentRef: ref})).toBe(ref.toLowerCase())
    await expect(resolveEnrolmentReference(paths, {enrolmentRef: '0x12'})).rejects.toMatchObject({
      code: errorCodes.INVALID_ARGUMENT,
    })
    await expect(resolveEnrolmentReference(paths, {enrolmentRef: ref, localId: 'MRN-1'})).rejects.toMatchObject({
      code: errorCodes.INVALID_ARGUMENT,
    })
    await expect(resolveEnrolmentReference(paths, {})).rejects.toMatchObject({code: errorCodes.INVALID_ARGUMENT})
    // And without the identity key, a local id is refused rather than hashed with an invented key
    await expect(resolveEnrolmentReference(paths, {localId: 'MRN-1'})).rejects.toMatchObject({
      code: errorCodes.KEY_FILE_MISSING,
    })
  })
})

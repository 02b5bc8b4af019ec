import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {deriveIdentity, patientIdentity} from './derive-identity.js'

describe('deriveIdentity', () => {
  it('is a keyed hash: stable for one key, different under another', () => {
    // Given two 32-byte keys and one record number
    const key = new Uint8Array(32).fill(7)
    const other = new Uint8Array(32).fill(8)
    // When identities are derived
    // Then the same key gives the same bytes32 and another key a different one
    expect(deriveIdentity(key, 'MRN-000123')).toBe(deriveIdentity(key, 'MRN-000123'))
    expect(deriveIdentity(key, 'MRN-000123')).toMatch(/^0x[0-9a-f]{64}$/)
    expect(deriveIdentity(key, 'MRN-000123')).not.toBe(deriveIdentity(other, 'MRN-000123'))
    expect(deriveIdentity(key, 'MRN-000123')).not.toBe(deriveIdentity(key, 'MRN-000124'))
  })

  it('refuses a key shorter than 32 bytes', () => {
    // Given a 16-byte key, When used, Then it is an invalid argument
    expect(() => deriveIdentity(new Uint8Array(16), 'MRN-1')).toThrow(
      expect.objectContaining({code: errorCodes.INVALID_ARGUMENT}),
    )
  })

  it("namespaces a patient's identity by its provider: one enrolment reference, two providers, two identities", () => {
    // Given one record number's enrolment reference and two providers
    const ref = deriveIdentity(new Uint8Array(32).fill(7), 'MRN-0042')
    const mercy = `0x${'11'.repeat(32)}` as const
    const stAnne = `0x${'22'.repeat(32)}` as const
    // When the identities are derived, Then they differ by provider, are stable, and differ from the reference itself
    expect(patientIdentity(mercy, ref)).not.toBe(patientIdentity(stAnne, ref))
    expect(patientIdentity(mercy, ref)).toBe(patientIdentity(mercy, ref))
    expect(patientIdentity(mercy, ref)).not.toBe(ref)
    expect(patientIdentity(mercy, ref)).toMatch(/^0x[0-9a-f]{64}$/)
  })
})

import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {deriveIdentity} from './derive-identity.js'

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
    expect(() => deriveIdentity(new Uint8Array(16), 'MRN-1')).toThrow(expect.objectContaining({code: errorCodes.INVALID_ARGUMENT}))
  })
})

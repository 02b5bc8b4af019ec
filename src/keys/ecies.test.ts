import {randomBytes} from 'node:crypto'

import {decrypt, PrivateKey} from 'eciesjs'
import {bytesToHex, type Hex} from 'viem'
import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {thrownRefusal} from '../errors/testing/refusal.js'
import {decryptWithPrivateKey, encryptedPayloadOverhead, encryptForPublicKey} from './ecies.js'
import {expectInvalidArgument, randomKeyPair} from './testing/ecies-fixtures.js'

describe('encryptForPublicKey / decryptWithPrivateKey', () => {
  it('round-trips records to the key of an Ethereum account', () => {
    // Given a requester account and a FHIR bundle
    const {privateKey, publicKey} = randomKeyPair()
    const records = new TextEncoder().encode(
      JSON.stringify([{resourceType: 'Observation', id: 'bp-1', valueQuantity: {value: 120}}]),
    )
    // When encrypted to its public key and decrypted with its private key
    const ciphertext = encryptForPublicKey(publicKey, records)
    // Then the bytes come back, and the payload has the fixed ECIES overhead
    expect(decryptWithPrivateKey(privateKey, ciphertext)).toEqual(records)
    expect(ciphertext.length).toBe(records.length + encryptedPayloadOverhead)
  })

  it('round-trips an empty and a 1 MiB plaintext', () => {
    const {privateKey, publicKey} = randomKeyPair()
    for (const plaintext of [new Uint8Array(), new Uint8Array(randomBytes(1024 * 1024))]) {
      expect(decryptWithPrivateKey(privateKey, encryptForPublicKey(publicKey, plaintext))).toEqual(plaintext)
    }
  })

  it('uses a fresh ephemeral key each time, so equal plaintexts give unrelated payloads', () => {
    const {publicKey} = randomKeyPair()
    const plaintext = new TextEncoder().encode('same')
    const first = encryptForPublicKey(publicKey, plaintext)
    const second = encryptForPublicKey(publicKey, plaintext)
    expect(bytesToHex(first.subarray(0, 65))).not.toBe(bytesToHex(second.subarray(0, 65)))
  })

  it('accepts a compressed public key and interoperates with plain eciesjs defaults', () => {
    // Given a key made by eciesjs itself
    const key = new PrivateKey()
    const compressed = bytesToHex(key.publicKey.toBytes(true))
    // When we encrypt to its compressed form, Then eciesjs's default decrypt reads it
    const plaintext = new TextEncoder().encode('interop')
    expect(decrypt(key.secret, encryptForPublicKey(compressed, plaintext))).toEqual(plaintext)
  })

  it('refuses to decrypt with another key, with a MedrecError rather than a crypto error', () => {
    // Given a payload for Alice
    const alice = randomKeyPair()
    const mallory = randomKeyPair()
    const ciphertext = encryptForPublicKey(alice.publicKey, new TextEncoder().encode('diagnosis'))
    // When Mallory tries her key, Then she gets a clear refusal
    expectInvalidArgument(
      () => decryptWithPrivateKey(mallory.privateKey, ciphertext),
      /encrypted to another key, or altered/,
    )
  })

  it.each([
    ['the ciphertext', (length: number) => length - 1],
    ['the tag', () => 65 + 16 + 3],
    ['the nonce', () => 65 + 2],
    ['the ephemeral key', () => 10],
  ])('refuses a payload with one bit of %s flipped', (_, position) => {
    // Given a valid payload with one bit changed
    const {privateKey, publicKey} = randomKeyPair()
    const ciphertext = encryptForPublicKey(publicKey, new TextEncoder().encode('blood type: O negative'))
    const index = position(ciphertext.length)
    ciphertext[index] = (ciphertext[index] ?? 0) ^ 0x01
    // Then decryption refuses it
    expectInvalidArgument(() => decryptWithPrivateKey(privateKey, ciphertext), /cannot be decrypted|not a point/)
  })

  it('refuses a truncated payload, saying it is too short', () => {
    const {privateKey, publicKey} = randomKeyPair()
    const ciphertext = encryptForPublicKey(publicKey, new Uint8Array([1, 2, 3]))
    expectInvalidArgument(
      () => decryptWithPrivateKey(privateKey, ciphertext.subarray(0, 96)),
      /shorter than any ECIES payload/,
    )
  })

  it('refuses malformed keys without echoing them', () => {
    const {publicKey} = randomKeyPair()
    expectInvalidArgument(() => encryptForPublicKey(publicKey.slice(0, -2) as Hex, new Uint8Array()), /65 bytes/)
    // A 65-byte string whose x, y are not on the curve
    expectInvalidArgument(
      () => encryptForPublicKey(`0x04${'11'.repeat(64)}`, new Uint8Array()),
      /not a point on secp256k1/,
    )
    const secret = `0x${'ab'.repeat(31)}`
    const thrown = thrownRefusal(() => decryptWithPrivateKey(secret as Hex, new Uint8Array(200)))
    expect(thrown).toMatchObject({code: errorCodes.INVALID_ARGUMENT})
    expect(JSON.stringify(thrown)).not.toContain('abab')
  })
})

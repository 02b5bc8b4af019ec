import {createCipheriv, hkdfSync, randomBytes} from 'node:crypto'

import {decrypt} from 'eciesjs'
import {Config} from 'eciesjs/config'
import secp256k1 from 'secp256k1'
import {hexToBytes, isHex, type Hex} from 'viem'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'

/**
 * ECIES to an Ethereum account's secp256k1 key: the gatekeeper encrypts answers to the
 * requester's key, and a consortium bundle carries the identity key encrypted to each member.
 *
 * Scheme (eciesjs defaults, the same as eciespy and ecies-rs, so non-JS clients interoperate):
 * a fresh ephemeral secp256k1 key per message; shared point = ephemeral secret × receiver
 * public key; AES key = HKDF-SHA256(ephemeral public key ‖ shared point, both uncompressed,
 * no salt, no info, 32 bytes); AES-256-GCM with a random 16-byte nonce.
 * Payload = ephemeral public key (65) ‖ nonce (16) ‖ tag (16) ‖ ciphertext.
 *
 * ECIES gives confidentiality and integrity, not sender authenticity: anyone can encrypt
 * to a public key. Who sent it must rest on something else (TLS, a signature over the payload).
 */

// Our own instance rather than eciesjs's global ECIES_CONFIG, which any other module in
// the process could mutate and so silently change the wire format.
const eciesConfig = new Config()

/** Bytes ECIES adds to every plaintext. */
export const encryptedPayloadOverhead = 65 + 16 + 16

/**
 * Encrypts to an uncompressed (0x04 ‖ x ‖ y) or compressed secp256k1 public key.
 *
 * The gatekeeper encrypts every answer, so this is on the hot path: the two scalar
 * multiplications run in libsecp256k1 (the `secp256k1` binding) and HKDF and AES-GCM in
 * OpenSSL, about 0.3 ms here where eciesjs's pure-JS curve took over 20 ms. The bytes
 * are exactly eciesjs's format (a test decrypts them with eciesjs), so receivers decrypt
 * with decryptWithPrivateKey or any eciesjs/eciespy-compatible library.
 */
export function encryptForPublicKey(publicKey: Hex, plaintext: Uint8Array): Uint8Array {
  const receiver = publicKeyBytes(publicKey)
  // One call to the CSPRNG for the ephemeral secret and the nonce.
  let random = randomBytes(48)
  while (!secp256k1.privateKeyVerify(random.subarray(0, 32))) random = randomBytes(48)
  const ephemeralSecret = random.subarray(0, 32)
  const nonce = random.subarray(32)
  const ephemeralPublic = secp256k1.publicKeyCreate(ephemeralSecret, false)
  let sharedPoint: Uint8Array
  try {
    // The hash function returns the whole uncompressed shared point, as eciesjs uses it.
    sharedPoint = secp256k1.ecdh(
      receiver,
      ephemeralSecret,
      {hashfn: (x, y) => Buffer.concat([Buffer.of(0x04), x, y])},
      Buffer.alloc(65),
    )
  } catch (error) {
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      'Cannot encrypt to this public key: it is not a point on secp256k1',
      {cause: error},
    )
  }
  const key = Buffer.from(
    hkdfSync('sha256', Buffer.concat([ephemeralPublic, sharedPoint]), Buffer.alloc(0), Buffer.alloc(0), 32),
  )
  const cipher = createCipheriv('aes-256-gcm', key, nonce)
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return Buffer.concat([ephemeralPublic, nonce, cipher.getAuthTag(), ciphertext])
}

/** What a caller tells the user when a payload is too short or does not open (what to check, whose key). */
export type DecryptHints = {truncated?: string; wrongKey?: string}

/** Decrypts a payload made by encryptForPublicKey; refuses any altered or misaddressed payload. */
export function decryptWithPrivateKey(privateKey: Hex, ciphertext: Uint8Array, hints: DecryptHints = {}): Uint8Array {
  if (!isHex(privateKey, {strict: true}) || privateKey.length !== 66) {
    // Never echo the value: it may be a key, just mistyped.
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, 'The private key must be 32 bytes of hex')
  }
  if (ciphertext.length < encryptedPayloadOverhead) {
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      `The encrypted payload is ${ciphertext.length} bytes, ` +
        `shorter than any ECIES payload (${encryptedPayloadOverhead})`,
      {hint: hints.truncated ?? 'Check that the payload was not truncated or re-encoded on the way.'},
    )
  }
  try {
    return decrypt(hexToBytes(privateKey), ciphertext, eciesConfig)
  } catch (error) {
    // AES-GCM cannot tell "another key" from "altered bytes"; both fail the tag.
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      'The encrypted payload cannot be decrypted with this key: it was encrypted to another key, or altered in transit',
      {hint: hints.wrongKey ?? 'Decrypt with the private key of the public key it was encrypted to.', cause: error},
    )
  }
}

function publicKeyBytes(publicKey: Hex): Uint8Array {
  const uncompressed = /^0x04[0-9a-fA-F]{128}$/.test(publicKey)
  const compressed = /^0x0[23][0-9a-fA-F]{64}$/.test(publicKey)
  if (!uncompressed && !compressed) {
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      'A public key must be 65 bytes (0x04 ‖ x ‖ y) or 33 bytes compressed',
    )
  }
  return hexToBytes(publicKey)
}

import {createCipheriv, hkdfSync, randomBytes} from 'node:crypto'

import {decrypt} from 'eciesjs'
import {Config} from 'eciesjs/config'
import secp256k1 from 'secp256k1'
import {hexToBytes, isHex, type Hex} from 'viem'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'

/**
 * Responses are encrypted to the requester's secp256k1 key (the one that signed the
 * request), so records stay confidential past TLS termination, proxies and logs.
 *
 * Scheme (eciesjs defaults, the same as eciespy and ecies-rs, so non-JS clients interoperate):
 * a fresh ephemeral secp256k1 key per message; shared point = ephemeral secret × receiver
 * public key; AES key = HKDF-SHA256(ephemeral public key ‖ shared point, both uncompressed,
 * no salt, no info, 32 bytes); AES-256-GCM with a random 16-byte nonce.
 * Payload = ephemeral public key (65) ‖ nonce (16) ‖ tag (16) ‖ ciphertext.
 *
 * ECIES gives confidentiality and integrity, not sender authenticity: anyone can encrypt
 * to a public key. That the answer comes from the gatekeeper rests on TLS.
 */

// Our own instance rather than eciesjs's global ECIES_CONFIG, which any other module in
// the process could mutate and so silently change the wire format.
const eciesConfig = new Config()

export const encryptedResponseContentType = 'application/vnd.medrec.ecies'
/** Bytes ECIES adds to every plaintext. */
export const encryptedPayloadOverhead = 65 + 16 + 16

/**
 * Encrypts to an uncompressed (0x04 ‖ x ‖ y) or compressed secp256k1 public key.
 *
 * The gatekeeper encrypts every answer, so this is on the hot path: the two scalar
 * multiplications run in libsecp256k1 (the `secp256k1` binding) and HKDF and AES-GCM in
 * OpenSSL, about 0.3 ms here where eciesjs's pure-JS curve took over 20 ms. The bytes
 * are exactly eciesjs's format (a test decrypts them with eciesjs), so clients decrypt
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

/** Decrypts a payload made by encryptForPublicKey; refuses any altered or misaddressed payload. */
export function decryptWithPrivateKey(privateKey: Hex, ciphertext: Uint8Array): Uint8Array {
  if (!isHex(privateKey, {strict: true}) || privateKey.length !== 66) {
    // Never echo the value: it may be a key, just mistyped.
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, 'The private key must be 32 bytes of hex')
  }
  if (ciphertext.length < encryptedPayloadOverhead) {
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      `The encrypted payload is ${ciphertext.length} bytes, ` +
        `shorter than any ECIES payload (${encryptedPayloadOverhead})`,
      {
        hint: 'Check that the response was really an encrypted MedRec response and was not truncated.',
      },
    )
  }
  try {
    return decrypt(hexToBytes(privateKey), ciphertext, eciesConfig)
  } catch (error) {
    // AES-GCM cannot tell "another key" from "altered bytes"; both fail the tag.
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      'The encrypted payload cannot be decrypted with this key: it was encrypted to another key, or altered in transit',
      {hint: 'Decrypt with the key of the account that signed the request.', cause: error},
    )
  }
}

export type EncryptedResponse = {contentType: typeof encryptedResponseContentType; body: Uint8Array}

/** The HTTP body and Content-Type for records sent to a verified requester. */
export function encodeEncryptedResponse(publicKey: Hex, plaintext: Uint8Array): EncryptedResponse {
  return {contentType: encryptedResponseContentType, body: encryptForPublicKey(publicKey, plaintext)}
}

/**
 * Reads a gatekeeper answer on the client. A refusal (403, 503) comes back as plain JSON,
 * not encrypted; a Content-Type check turns that into a clear error instead of a failed tag.
 */
export function decodeEncryptedResponse(
  privateKey: Hex,
  response: {contentType: string | null | undefined; body: Uint8Array},
): Uint8Array {
  const mediaType = response.contentType?.split(';', 1)[0]?.trim().toLowerCase()
  if (mediaType !== encryptedResponseContentType) {
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      `The gatekeeper answered with ${mediaType ?? 'no content type'}, not an encrypted response`,
      {
        hint: 'The body is probably an error from the gatekeeper; read it as text.',
      },
    )
  }
  return decryptWithPrivateKey(privateKey, response.body)
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

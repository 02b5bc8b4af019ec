import type {Hex} from 'viem'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {decryptWithPrivateKey, encryptForPublicKey} from '../keys/ecies.js'

/**
 * Responses are encrypted to the requester's secp256k1 key (the one that signed the
 * request), so records stay confidential past TLS termination, proxies and logs. The
 * ECIES scheme is in keys/ecies.ts; that the answer comes from the gatekeeper rests on TLS.
 */
export const encryptedResponseContentType = 'application/vnd.medrec.ecies'

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
  return decryptWithPrivateKey(privateKey, response.body, {
    truncated: 'Check that the response was really an encrypted MedRec response and was not truncated.',
    wrongKey: 'Decrypt with the key of the account that signed the request.',
  })
}

import {createHmac} from 'node:crypto'
import type {Hex} from 'viem'

import {MedrecError} from '../errors/medrec-error.js'
import {errorCodes} from '../errors/error-codes.js'

/**
 * The on-chain identity for a local identifier (e.g. a medical record number):
 * HMAC-SHA256 under a secret key of at least 32 bytes. A plain hash would not do: record
 * numbers are low-entropy and their hashes are brute-forced in seconds.
 */
export function deriveIdentity(key: Uint8Array, localId: string): Hex {
  if (key.length < 32) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `The identity key is ${key.length} bytes; at least 32 are needed.`, {
      hint: 'Generate the key with a CSPRNG (e.g. crypto.randomBytes(32)) and keep it off chain.',
    })
  }
  return `0x${createHmac('sha256', key).update(localId, 'utf8').digest('hex')}`
}

import {createHmac} from 'node:crypto'
import {encodeAbiParameters, keccak256, stringToBytes, type Hex} from 'viem'

import {MedrecError} from '../errors/medrec-error.js'
import {errorCodes} from '../errors/error-codes.js'

/**
 * The keyed hash of a local identifier (e.g. a medical record number): HMAC-SHA256 under a
 * secret key of at least 32 bytes. A plain hash would not do: record numbers are
 * low-entropy and their hashes are brute-forced in seconds. Used as a steward's identity,
 * and as a patient's enrolment reference (see patientIdentity).
 */
export function deriveIdentity(key: Uint8Array, localId: string): Hex {
  if (key.length < 32) {
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      `The identity key is ${key.length} bytes; at least 32 are needed.`,
      {
        hint: 'Generate the key with a CSPRNG (e.g. crypto.randomBytes(32)) and keep it off chain.',
      },
    )
  }
  return `0x${createHmac('sha256', key).update(localId, 'utf8').digest('hex')}`
}

/** A patient's enrolment reference at a provider: the keyed hash of the provider's local id. */
export const enrolmentReference = deriveIdentity

/** The Registrar's PATIENT_IDENTITY_TAG. */
export const patientIdentityTag: Hex = keccak256(stringToBytes('MedRec patient identity v1'))

/**
 * The identity the Registrar gives the patient that provider `providerId` enrols under
 * `enrolmentRef` (its patientIdentity): the same local id at two providers gives two
 * identities, and no provider can create an identity in another's namespace.
 */
export function patientIdentity(providerId: Hex, enrolmentRef: Hex): Hex {
  return keccak256(
    encodeAbiParameters(
      [{type: 'bytes32'}, {type: 'bytes32'}, {type: 'bytes32'}],
      [patientIdentityTag, providerId, enrolmentRef],
    ),
  )
}

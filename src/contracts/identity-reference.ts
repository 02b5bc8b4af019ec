import type {Hex} from 'viem'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {readIdentityKey} from '../workspace/identity-key.js'
import type {NetworkPaths} from '../workspace/network-files.js'
import {deriveIdentity, enrolmentReference, patientIdentity} from './derive-identity.js'

/** A 32-byte hex value from a flag, lower-cased; anything else is refused by name. */
function bytes32Flag(value: string, flag: string, hint: string): Hex {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) {
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      `${flag} "${value}" is not 32 bytes of hex (0x followed by 64 hex digits).`,
      {hint},
    )
  }
  return value.toLowerCase() as Hex
}

function exactlyOne(options: {explicit?: string | undefined; localId?: string | undefined}, flag: string): void {
  if (options.explicit !== undefined && options.localId !== undefined) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `Give ${flag} or its --local-id form, not both.`)
  }
}

/**
 * An identity from `--id 0x…` (32 bytes, used as is) or `--local-id TEXT` (turned into an
 * identity with HMAC-SHA256 under the identity key, so the chain never holds it or a
 * brute-forceable plain hash of it). For providers and other stewards; a patient's identity
 * depends on its provider too (resolvePatientIdentity).
 */
export async function resolveIdentity(
  paths: NetworkPaths,
  options: {id?: string | undefined; localId?: string | undefined},
  flag = '--id',
): Promise<Hex> {
  exactlyOne({explicit: options.id, localId: options.localId}, flag)
  if (options.id !== undefined) {
    return bytes32Flag(
      options.id,
      flag,
      'Use the identity printed by `medrec registrar register`, or pass a local identifier with --local-id.',
    )
  }
  if (options.localId !== undefined && options.localId.trim() !== '')
    return deriveIdentity(await readIdentityKey(paths), options.localId.trim())
  throw new MedrecError(errorCodes.INVALID_ARGUMENT, `An identity is needed: ${flag} 0x… or a local identifier.`)
}

/**
 * A patient's enrolment reference at a provider: `--enrolment-ref 0x…` as is, or the
 * provider's `--local-id` (e.g. a record number) under HMAC-SHA256 with the identity key.
 */
export async function resolveEnrolmentReference(
  paths: NetworkPaths,
  options: {enrolmentRef?: string | undefined; localId?: string | undefined},
): Promise<Hex> {
  exactlyOne({explicit: options.enrolmentRef, localId: options.localId}, '--enrolment-ref')
  if (options.enrolmentRef !== undefined) {
    return bytes32Flag(
      options.enrolmentRef,
      '--enrolment-ref',
      'Give the opaque reference your records system computed, or the local identifier with --local-id.',
    )
  }
  const localId = options.localId?.trim()
  if (localId) return enrolmentReference(await readIdentityKey(paths), localId)
  throw new MedrecError(
    errorCodes.INVALID_ARGUMENT,
    "A patient's enrolment is needed: --local-id (the provider's record number) or --enrolment-ref 0x….",
  )
}

/**
 * A patient identity from `--id 0x…` (as is: e.g. a patient enrolled at another provider),
 * or from `--local-id TEXT` at provider `providerId`: the identity the Registrar derives
 * from that provider and the local id's enrolment reference.
 */
export async function resolvePatientIdentity(
  paths: NetworkPaths,
  options: {id?: string | undefined; localId?: string | undefined},
  providerId: Hex,
  flag = '--id',
): Promise<Hex> {
  exactlyOne({explicit: options.id, localId: options.localId}, flag)
  if (options.localId === undefined || options.localId.trim() === '') {
    return resolveIdentity(paths, {id: options.id}, flag)
  }
  return patientIdentity(providerId, await resolveEnrolmentReference(paths, {localId: options.localId}))
}

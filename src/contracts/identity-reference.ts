import {randomBytes} from 'node:crypto'
import {mkdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'

import type {Hex} from 'viem'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {writeNewPrivateFile, type NetworkPaths} from '../network/network-files.js'
import {deriveIdentity, enrolmentReference, patientIdentity} from './derive-identity.js'

/** Where the key that turns local identifiers into on-chain identities is kept. */
export function identityKeyPath(paths: NetworkPaths): string {
  return join(paths.keysDir, 'identity', 'hmac.key')
}

/** Creates the consortium's identity key (32 random bytes, mode 0600) unless it exists. */
export async function ensureIdentityKey(paths: NetworkPaths): Promise<void> {
  await mkdir(join(paths.keysDir, 'identity'), {recursive: true, mode: 0o700})
  await writeNewPrivateFile(identityKeyPath(paths), randomBytes(32).toString('hex'))
}

/** The identity key. Never created here: a missing key would silently derive other identities. */
async function readIdentityKey(paths: NetworkPaths): Promise<Buffer> {
  const path = identityKeyPath(paths)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    throw new MedrecError(
      errorCodes.KEY_FILE_MISSING,
      `This directory has no identity key (${path}), so --local-id cannot be turned into an identity.`,
      {
        hint:
          "Copy the consortium's identity key there (every member " +
          'uses the same one), or pass the identity itself with --id.',
        cause: error,
      },
    )
  }
  const key = Buffer.from(text.trim(), 'hex')
  if (key.length < 32) {
    throw new MedrecError(errorCodes.KEY_FILE_MISSING, `${path} does not hold a 32-byte hex key.`, {
      hint: 'Restore it from your backup: identities derived with another key will not match.',
    })
  }
  return key
}

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

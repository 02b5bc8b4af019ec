import {randomBytes} from 'node:crypto'
import {mkdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {pathExists, writeNewPrivateFile, type NetworkPaths} from './network-files.js'

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
export async function readIdentityKey(paths: NetworkPaths): Promise<Buffer> {
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
          "Copy the consortium's identity key there (every member uses the same one), or pass the identity " +
          'itself with --id.',
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

/** The identity key if this directory holds one; undefined if it holds none yet. */
export async function findIdentityKey(paths: NetworkPaths): Promise<Buffer | undefined> {
  if (!(await pathExists(identityKeyPath(paths)))) return undefined
  return readIdentityKey(paths)
}

/**
 * Writes a given identity key (hex, mode 0600), received rather than generated here (a member
 * decrypts it from the consortium bundle). Never replaces one: false if a key was already there.
 */
export async function writeIdentityKey(paths: NetworkPaths, key: Uint8Array): Promise<boolean> {
  await mkdir(join(paths.keysDir, 'identity'), {recursive: true, mode: 0o700})
  return writeNewPrivateFile(identityKeyPath(paths), Buffer.from(key).toString('hex'))
}

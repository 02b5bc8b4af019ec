import type {Address, Hex} from 'viem'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {decryptWithPrivateKey, encryptForPublicKey} from '../keys/ecies.js'
import type {ConsortiumBundle} from './consortium-bundle.js'
import type {NodeCard} from './node-card.js'

/** The consortium's identity key (the HMAC key behind --local-id) is 32 random bytes. */
export const identityKeyBytes = 32

/** The identity key encrypted (ECIES, base64) to each card's public key, by signer address. */
export function encryptIdentityKey(identityKey: Uint8Array, cards: readonly NodeCard[]): Record<Address, string> {
  if (identityKey.length !== identityKeyBytes) throw new Error(`an identity key is ${identityKeyBytes} bytes`)
  const secrets: Record<Address, string> = {}
  for (const card of cards)
    secrets[card.signer] = Buffer.from(encryptForPublicKey(card.publicKey, identityKey)).toString('base64')
  return secrets
}

/**
 * The identity key a bundle holds for `signer`, decrypted with that member's private key;
 * undefined when the bundle has none for it (a joiner). `source` names the bundle in messages.
 */
export function decryptIdentityKey(
  bundle: Pick<ConsortiumBundle, 'secrets'>,
  signer: Address,
  privateKey: Hex,
  source: string,
): Uint8Array | undefined {
  const encrypted = bundle.secrets.identityHmacKey[signer]
  if (encrypted === undefined) return undefined
  let key: Uint8Array
  try {
    key = decryptWithPrivateKey(privateKey, Buffer.from(encrypted, 'base64'))
  } catch (error) {
    throw new MedrecError(
      errorCodes.BUNDLE_SECRET_INVALID,
      `The identity key that ${source} holds for ${signer} does not decrypt with this member's key.`,
      {
        details: ['it was encrypted to another key, or altered'],
        hint: 'Ask the member who exported the bundle to export it again from its own workspace.',
        cause: error,
      },
    )
  }
  if (key.length !== identityKeyBytes) {
    throw new MedrecError(
      errorCodes.BUNDLE_SECRET_INVALID,
      `The identity key that ${source} holds for ${signer} is ${key.length} bytes, not ${identityKeyBytes}.`,
      {hint: 'Ask the member who exported the bundle to export it again from its own workspace.'},
    )
  }
  return key
}

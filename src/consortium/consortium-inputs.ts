import {getAddress, isAddress, isHex, zeroAddress, type Address, type Hex} from 'viem'

import {listAccounts} from '../accounts/accounts.js'
import {assertNodeName, nodeNamePattern} from '../config/network-config.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import type {NetworkPaths} from '../workspace/network-files.js'
import {providerIdentity} from './provider-identity.js'

const identityPattern = /^0x[0-9a-fA-F]{64}$/

/**
 * An account on the command line, checked before anything is read: a 0x address, or the
 * name of a key to look up later. Anything else (a short or malformed address, a name no
 * key could have) is refused here, so a typo never reaches the chain.
 */
export type AccountReference = {address: Address} | {keyName: string}

/** Checks an account given on the command line (see AccountReference). */
export function parseAccountReference(
  reference: string,
  flag: string,
  options: {allowZero?: boolean} = {},
): AccountReference {
  const text = reference.trim()
  if (/^0x/i.test(text)) {
    if (!isAddress(text, {strict: false})) {
      const message = `${flag} "${reference}" is not an address (0x and 40 hex digits).`
      throw new MedrecError(errorCodes.INVALID_ARGUMENT, message, {
        hint: 'Copy the address again, or give the name of a key in this directory.',
      })
    }
    const address = getAddress(text)
    if (address === zeroAddress && !options.allowZero) {
      throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${flag} cannot be the zero address.`)
    }
    return {address}
  }
  if (!nodeNamePattern.test(text)) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${flag} "${reference}" is neither an address nor a key name.`, {
      hint: 'Give a 0x address, or a name from `medrec account list`.',
    })
  }
  return {keyName: text}
}

/** The address of a parsed account reference; a key name must be a key of this directory. */
export async function resolveAccountReference(
  paths: NetworkPaths,
  reference: AccountReference,
  flag: string,
): Promise<Address> {
  if ('address' in reference) return reference.address
  const key = (await listAccounts(paths)).find((a) => a.name === reference.keyName)
  if (!key) {
    const message = `${flag} "${reference.keyName}" is not a key of this network directory.`
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, message, {
      hint: 'Give a 0x address, or create the key first with `medrec account create NAME`.',
    })
  }
  return key.address
}

/** A provider or other steward on the command line: a provider's name, or any steward's 0x identity. */
export function parseStewardReference(reference: string): {id: Hex; name: string | null} {
  const lower = reference.toLowerCase()
  if (identityPattern.test(lower) && isHex(lower)) return {id: lower, name: null}
  assertNodeName(reference, 'provider')
  return {id: providerIdentity(reference), name: reference}
}

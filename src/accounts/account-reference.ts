import {getAddress, isAddress, zeroAddress} from 'viem'

import {nodeNamePattern} from '../config/network-config.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'

/**
 * Checks the form of an account reference before anything is read: a 0x address (a
 * mixed-case one must carry a valid EIP-55 checksum, which catches a mistyped guardian) or
 * the name of a key in the directory. The zero address is refused (it holds nothing) unless
 * `allowZero` (e.g. a handover to zero cancels it).
 */
export function checkAccountReference(reference: string, flag: string, options: {allowZero?: boolean} = {}): void {
  if (/^0x/i.test(reference)) {
    if (!/^0x[0-9a-fA-F]{40}$/.test(reference)) {
      const message = `${flag} "${reference}" is not an address (0x and 40 hex digits).`
      throw new MedrecError(errorCodes.INVALID_ARGUMENT, message, {
        hint: 'Copy the address again, or give the name of a key in this directory.',
      })
    }
    if (!isAddress(reference)) {
      const message = `${flag} ${reference} fails its EIP-55 checksum: it was probably mistyped.`
      throw new MedrecError(errorCodes.INVALID_ARGUMENT, message, {
        hint: 'Copy the address again exactly, or write it all in lower case if it came without a checksum.',
      })
    }
    if (getAddress(reference) === zeroAddress && !options.allowZero) {
      throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${flag} cannot be the zero address.`)
    }
    return
  }
  if (!nodeNamePattern.test(reference)) {
    const message = `${flag} "${reference}" is neither a 0x address nor a key name.`
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, message, {
      hint: 'Give a 0x address, or a name from `medrec account list`.',
    })
  }
}

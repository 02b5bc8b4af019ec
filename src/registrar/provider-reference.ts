import {getAddress, zeroHash, type Address, type Hex} from 'viem'

import {listAccounts} from '../accounts/accounts.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import type {RegistrarContext} from './open-registrar.js'
import {kindNumber} from './participant-kinds.js'

/** The identity the Registrar binds to `account` (zero when none). */
export async function identityOfAccount(context: RegistrarContext, account: Address): Promise<Hex> {
  return context.contract.read.identityOf([account])
}

/**
 * A provider named on the command line: its 32-byte identity as is, or a key of this
 * directory whose account the Registrar binds to a provider identity (read from the chain,
 * so it is the identity the contract namespaces that provider's patients with).
 */
export async function resolveProviderReference(
  context: RegistrarContext,
  reference: string,
  flag = '--provider',
): Promise<Hex> {
  if (/^0x[0-9a-fA-F]{64}$/.test(reference)) return reference.toLowerCase() as Hex
  const key = (await listAccounts(context.network.paths)).find((a) => a.name === reference)
  if (!key) {
    const message = `${flag} "${reference}" is neither a key of this network directory nor a 32-byte provider identity.`
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, message, {
      hint: "Give the provider's 0x identity (see `medrec provider list`), or the name of its key here.",
    })
  }
  const id = await identityOfAccount(context, getAddress(key.address))
  const participant = id === zeroHash ? undefined : await context.contract.read.participant([id])
  if (participant?.kind !== kindNumber('provider')) {
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      `${flag} ${reference} (${key.address}) is not a registered provider.`,
      {hint: 'See `medrec provider list`.'},
    )
  }
  return id
}

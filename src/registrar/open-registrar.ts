import {getAddress, getContract, type Address, type Chain} from 'viem'

import {
  networkClients,
  networkWalletClient,
  type NetworkPublicClient,
  type NetworkWalletClient,
} from '../workspace/network-clients.js'
import {listAccounts} from '../accounts/accounts.js'
import {registrarAbi} from '../contracts/abi/registrar.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import type {LoadedNetwork} from '../workspace/load-network.js'

/** The deployed Registrar, typed by its ABI: `registrar.read.identityOf([account])`. */
export function registrarContract(publicClient: NetworkPublicClient, address: Address) {
  return getContract({address, abi: registrarAbi, client: publicClient})
}

export type RegistrarContract = ReturnType<typeof registrarContract>

export type RegistrarContext = {
  network: LoadedNetwork
  chain: Chain
  publicClient: NetworkPublicClient
  registrar: Address
  /** Typed reads (and events) of the Registrar at `registrar`. */
  contract: RegistrarContract
}

/** The network's clients and its deployed Registrar; fails with a next step if not deployed. */
export async function openRegistrar(dir: string): Promise<RegistrarContext> {
  const {network, chain, publicClient} = await networkClients(dir)
  const deployed = network.state.contracts.Registrar
  if (!deployed) {
    const message = 'The MedRec contracts are not deployed on this network.'
    throw new MedrecError(errorCodes.CONTRACTS_NOT_DEPLOYED, message, {hint: 'Run `medrec contracts deploy` first.'})
  }
  const registrar = getAddress(deployed)
  return {network, chain, publicClient, registrar, contract: registrarContract(publicClient, registrar)}
}

/** A wallet for the key named by --as: a key of this directory, never a path. */
export async function signerFor(context: RegistrarContext, keyName: string): Promise<NetworkWalletClient> {
  const known = await listAccounts(context.network.paths)
  if (!known.some((a) => a.name === keyName)) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `--as "${keyName}" is not a key of this network directory.`, {
      hint:
        `Keys here: ${known.map((a) => a.name).join(', ') || 'none'}. ` +
        `Create one with \`medrec account create NAME\`.`,
    })
  }
  return networkWalletClient(context.network, context.chain, keyName)
}

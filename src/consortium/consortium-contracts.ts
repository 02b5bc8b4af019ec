import {getAddress, getContract, type Address, type GetContractReturnType} from 'viem'

import {networkWalletClient, type NetworkPublicClient, type NetworkWalletClient} from '../workspace/network-clients.js'
import {consortiumAbi} from '../contracts/abi/consortium.js'
import {registrarAbi} from '../contracts/abi/registrar.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {openRegistrar, type RegistrarContext} from '../registrar/open-registrar.js'

/** The Consortium, read through the network's RPC node: `consortium.read.threshold()`. */
export type ConsortiumReader = GetContractReturnType<typeof consortiumAbi, NetworkPublicClient>
/** The Registrar, read through the network's RPC node: `registrar.read.participant([id])`. */
export type RegistrarReader = GetContractReturnType<typeof registrarAbi, NetworkPublicClient>
/** The Consortium with one member's key to sign votes: `consortium.write.voteRemove([id])`. */
export type ConsortiumWriter = GetContractReturnType<
  typeof consortiumAbi,
  {public: NetworkPublicClient; wallet: NetworkWalletClient}
>

/** A network whose Registrar the Consortium governs, with typed handles on both contracts. */
export type ConsortiumContext = RegistrarContext & {
  consortium: Address
  contracts: {consortium: ConsortiumReader; registrar: RegistrarReader}
}

/** Typed read handles on a deployed Registrar and Consortium. */
export function consortiumContracts(
  publicClient: NetworkPublicClient,
  addresses: {registrar: Address; consortium: Address},
): ConsortiumContext['contracts'] {
  return {
    consortium: getContract({address: addresses.consortium, abi: consortiumAbi, client: publicClient}),
    registrar: getContract({address: addresses.registrar, abi: registrarAbi, client: publicClient}),
  }
}

/** The network's clients, Registrar and Consortium; fails with a next step if there is no Consortium. */
export async function openConsortium(dir: string): Promise<ConsortiumContext> {
  const context = await openRegistrar(dir)
  const stored = context.network.state.contracts.Consortium
  if (!stored) {
    throw new MedrecError(
      errorCodes.CONTRACTS_NOT_DEPLOYED,
      'This network has no Consortium contract: the whitelist has no governance to vote with.',
      {hint: "Run `medrec contracts deploy`; it deploys the Consortium and hands it the Registrar's governance."},
    )
  }
  const consortium = getAddress(stored)
  return {
    ...context,
    consortium,
    contracts: consortiumContracts(context.publicClient, {registrar: context.registrar, consortium}),
  }
}

/** The Consortium with the directory's key `keyName` signing (locally; the key never leaves). */
export async function consortiumWriter(
  context: ConsortiumContext,
  keyName: string,
): Promise<{consortium: ConsortiumWriter; walletClient: NetworkWalletClient}> {
  const walletClient = await networkWalletClient(context.network, context.chain, keyName)
  const consortium = getContract({
    address: context.consortium,
    abi: consortiumAbi,
    client: {public: context.publicClient, wallet: walletClient},
  })
  return {consortium, walletClient}
}

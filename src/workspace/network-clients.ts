import type {Chain} from 'viem'
import {privateKeyToAccount} from 'viem/accounts'

import {
  medrecChain,
  rpcPublicClient,
  rpcWalletClient,
  type MedrecPublicClient,
  type MedrecWalletClient,
} from '../chain/viem-clients.js'
import {loadNetwork, rpcUrlOf, type LoadedNetwork} from './load-network.js'
import {unlockNodeKey} from './network-files.js'

export type NetworkPublicClient = MedrecPublicClient
export type NetworkWalletClient = MedrecWalletClient

/** viem clients for a network directory's chain, through its keyless RPC node. */
export async function networkClients(
  dir: string,
): Promise<{network: LoadedNetwork; chain: Chain; publicClient: NetworkPublicClient}> {
  const network = await loadNetwork(dir)
  const rpcUrl = rpcUrlOf(network.config)
  const chain = medrecChain({chainId: network.config.network.chainId, name: network.config.network.name, rpcUrl})
  const publicClient = rpcPublicClient(chain, rpcUrl)
  return {network, chain, publicClient}
}

/** A wallet client that signs locally with one of the directory's keys (never sent to a node). */
export async function networkWalletClient(
  network: LoadedNetwork,
  chain: Chain,
  keyName: string,
): Promise<NetworkWalletClient> {
  const {privateKey} = await unlockNodeKey(network.paths, keyName)
  return rpcWalletClient(chain, rpcUrlOf(network.config), privateKeyToAccount(privateKey))
}

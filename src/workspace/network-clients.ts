import {
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  type Account,
  type Chain,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem'
import {privateKeyToAccount} from 'viem/accounts'

import {loadNetwork, rpcUrlOf, type LoadedNetwork} from './load-network.js'
import {unlockNodeKey} from './network-files.js'

const receiptPollingMs = 250

export type NetworkPublicClient = PublicClient<Transport, Chain>
export type NetworkWalletClient = WalletClient<Transport, Chain, Account>

/** viem clients for a network directory's chain, through its keyless RPC node. */
export async function networkClients(
  dir: string,
): Promise<{network: LoadedNetwork; chain: Chain; publicClient: NetworkPublicClient}> {
  const network = await loadNetwork(dir)
  const rpcUrl = rpcUrlOf(network.config)
  const chain = defineChain({
    id: network.config.network.chainId,
    name: `MedRec ${network.config.network.name}`,
    nativeCurrency: {name: 'Ether', symbol: 'ETH', decimals: 18},
    rpcUrls: {default: {http: [rpcUrl]}},
  })
  // viem polls receipts every 4 s by default: slower than the chain's blocks. The RPC node is ours.
  const publicClient = createPublicClient({
    chain,
    pollingInterval: receiptPollingMs,
    transport: http(rpcUrl, {timeout: 15_000, retryCount: 1}),
  }) as NetworkPublicClient
  return {network, chain, publicClient}
}

/** A wallet client that signs locally with one of the directory's keys (never sent to a node). */
export async function networkWalletClient(
  network: LoadedNetwork,
  chain: Chain,
  keyName: string,
): Promise<NetworkWalletClient> {
  const {privateKey} = await unlockNodeKey(network.paths, keyName)
  return createWalletClient({
    account: privateKeyToAccount(privateKey),
    chain,
    pollingInterval: receiptPollingMs,
    transport: http(rpcUrlOf(network.config), {timeout: 15_000, retryCount: 1}),
  })
}

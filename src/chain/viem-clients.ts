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

// viem polls receipts every 4 s by default: slower than the chain's blocks. The RPC node is ours.
const receiptPollingMs = 250

export type MedrecPublicClient = PublicClient<Transport, Chain>
export type MedrecWalletClient = WalletClient<Transport, Chain, Account>

/** A MedRec chain as viem describes one: its id, its name and the RPC node it is reached through. */
export function medrecChain(options: {chainId: number; name: string; rpcUrl: string}): Chain {
  return defineChain({
    id: options.chainId,
    name: `MedRec ${options.name}`,
    nativeCurrency: {name: 'Ether', symbol: 'ETH', decimals: 18},
    rpcUrls: {default: {http: [options.rpcUrl]}},
  })
}

/** The HTTP transport to one of our own RPC nodes: a bounded wait, one retry. */
export function rpcTransport(rpcUrl: string) {
  return http(rpcUrl, {timeout: 15_000, retryCount: 1})
}

/** A public client on one of our own keyless RPC nodes. */
export function rpcPublicClient(chain: Chain, rpcUrl: string): MedrecPublicClient {
  return createPublicClient({
    chain,
    pollingInterval: receiptPollingMs,
    transport: rpcTransport(rpcUrl),
  }) as MedrecPublicClient
}

/** A wallet client that signs locally with `account` (the key never reaches a node) and sends through `rpcUrl`. */
export function rpcWalletClient(chain: Chain, rpcUrl: string, account: Account): MedrecWalletClient {
  return createWalletClient({account, chain, pollingInterval: receiptPollingMs, transport: rpcTransport(rpcUrl)})
}

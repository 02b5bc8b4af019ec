import {getAddress, type Address} from 'viem'

import {callJsonRpc} from '../chain/json-rpc.js'
import {rpcUrlOf, type LoadedNetwork} from '../workspace/load-network.js'

/** The Clique signer set at a block (clique_getSigners), checksummed. */
export async function cliqueSignersAt(
  rpcUrl: string,
  block: number | 'latest' = 'latest',
  timeoutMs?: number,
): Promise<Address[]> {
  const tag = block === 'latest' ? block : `0x${block.toString(16)}`
  return (await callJsonRpc<string[]>(rpcUrl, 'clique_getSigners', [tag], timeoutMs)).map((s) => getAddress(s))
}

/** The network's current Clique signers, from its RPC node. */
export function currentSigners(network: LoadedNetwork): Promise<Address[]> {
  return cliqueSignersAt(rpcUrlOf(network.config))
}

import {callJsonRpc} from '../chain/json-rpc.js'

/** The head block's number (eth_blockNumber). */
export async function headBlockNumber(rpcUrl: string, timeoutMs?: number): Promise<number> {
  return Number(await callJsonRpc<string>(rpcUrl, 'eth_blockNumber', [], timeoutMs))
}

/** The head block's number and timestamp (seconds), in one call. */
export async function headBlock(rpcUrl: string, timeoutMs?: number): Promise<{number: number; timestamp: number}> {
  const head = await callJsonRpc<{number: string; timestamp: string}>(
    rpcUrl,
    'eth_getBlockByNumber',
    ['latest', false],
    timeoutMs,
  )
  return {number: Number(head.number), timestamp: Number(head.timestamp)}
}

import {callJsonRpc} from '../chain/json-rpc.js'

export type CliqueStatus = {
  inturnPercent: number
  numBlocks: number
  /** Blocks each signer sealed among the last `numBlocks`, by lowercase address. */
  sealerActivity: Record<string, number>
}

/** clique_status: each signer's sealing over the last 64 blocks (a health signal). */
export async function cliqueStatus(rpcUrl: string, timeoutMs?: number): Promise<CliqueStatus> {
  const status = await callJsonRpc<CliqueStatus>(rpcUrl, 'clique_status', [], timeoutMs)
  const sealerActivity = Object.fromEntries(Object.entries(status.sealerActivity).map(([a, n]) => [a.toLowerCase(), n]))
  return {inturnPercent: status.inturnPercent, numBlocks: status.numBlocks, sealerActivity}
}

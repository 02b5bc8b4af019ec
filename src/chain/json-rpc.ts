import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'

/** A JSON-RPC error answered by the node (as opposed to a transport failure). */
export class JsonRpcResponseError extends Error {
  readonly method: string
  readonly rpcCode: number

  constructor(method: string, rpcCode: number, message: string) {
    super(`${method}: ${message} (code ${rpcCode})`)
    this.method = method
    this.rpcCode = rpcCode
    this.name = 'JsonRpcResponseError'
  }
}

let nextId = 1

/**
 * One JSON-RPC call over HTTP with an explicit timeout. Used for the geth-specific
 * namespaces (clique_*) that viem has no actions for.
 */
export async function callJsonRpc<T>(
  url: string,
  method: string,
  params: unknown[] = [],
  timeoutMs = 3000,
): Promise<T> {
  let response: Response
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {'content-type': 'application/json'},
      body: JSON.stringify({jsonrpc: '2.0', id: nextId++, method, params}),
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (error) {
    throw new MedrecError(errorCodes.RPC_FAILED, `The RPC node at ${url} did not answer ${method}.`, {
      hint: 'Check that the network is up: `medrec network status`.',
      cause: error,
    })
  }
  const body = (await response.json().catch(() => undefined)) as
    | {result?: T; error?: {code: number; message: string}}
    | undefined
  if (body?.error) throw new JsonRpcResponseError(method, body.error.code, body.error.message)
  if (!response.ok || body === undefined || !('result' in body)) {
    throw new MedrecError(
      errorCodes.RPC_FAILED,
      `The RPC node at ${url} answered ${method} with HTTP ${response.status}.`,
      {
        hint: "Check the node's logs: `medrec network logs rpc`.",
      },
    )
  }
  return body.result as T
}

// Shared by the gatekeeper load generators (bench/gatekeeper-load-client.ts,
// bench/gatekeeper-flood-client.ts), which run in processes of their own: signing
// requests with libsecp256k1 (fast enough to prepare tens of thousands before the clock
// starts), sending one over a keep-alive agent, and summarising latencies.
import {randomBytes} from 'node:crypto'
import {request, type Agent} from 'node:http'

import secp256k1 from 'secp256k1'
import {getAddress, hexToBytes, toHex, type Address, type Hex} from 'viem'

import {keccak256Bytes} from '../src/gatekeeper/keccak.js'
import {gatekeeperRequestDigest, gatekeeperRequestHash} from '../src/gatekeeper/request-typed-data.js'
import {allResourcesScope} from '../src/gatekeeper/resource-scope.js'
import {encodeGatekeeperRequestHeader} from '../src/gatekeeper/sign-request.js'

/** Where a generator sends, and as whom it signs. */
export type BenchTarget = {
  url: string
  chainId: number
  registrar: Address
  audience: Address
  relationship: Address
  privateKey: Hex
}

export type SignedHeaders = Record<string, string>

/** The body every benchmark request carries: the whole chart. */
export const benchBody = Buffer.from('{}')

/** A signer for one key: each call makes the headers of a fresh request (new nonce, 280 s to live). */
export function requestSigner(target: Omit<BenchTarget, 'privateKey'>, secret: Uint8Array): () => SignedHeaders {
  const publicKey = secp256k1.publicKeyCreate(secret, false)
  const requester = getAddress(`0x${keccak256Bytes(publicKey.subarray(1)).subarray(12).toString('hex')}`)
  const requestHash = gatekeeperRequestHash({method: 'POST', path: new URL(target.url).pathname, body: benchBody})
  return () => {
    const fields = {
      requester,
      relationship: target.relationship,
      action: 'read' as const,
      scope: allResourcesScope,
      nonce: toHex(randomBytes(32)),
      expiry: BigInt(Math.floor(Date.now() / 1000) + 280),
      audience: target.audience,
    }
    const digest = gatekeeperRequestDigest(target.chainId, target.registrar, {...fields, requestHash})
    const {signature, recid} = secp256k1.ecdsaSign(hexToBytes(digest), secret)
    const v = (27 + recid).toString(16)
    return {'medrec-request': encodeGatekeeperRequestHeader(fields), 'medrec-signature': `${toHex(signature)}${v}`}
  }
}

/** The secret key of `target`, as bytes. */
export function secretOf(target: BenchTarget): Uint8Array {
  return hexToBytes(target.privateKey)
}

/** A fresh random secp256k1 secret key: a throwaway identity nobody registered. */
export function randomSecret(): Uint8Array {
  for (;;) {
    const secret = randomBytes(32)
    if (secp256k1.privateKeyVerify(secret)) return secret
  }
}

/**
 * POSTs the benchmark body with `headers` (none: the unauthorised baseline) from
 * `localAddress`; resolves to the status, 0 on a network error.
 */
export function postOnce(url: URL, headers: SignedHeaders, agent: Agent, localAddress?: string): Promise<number> {
  const allHeaders = {...headers, 'content-type': 'application/json', 'content-length': String(benchBody.length)}
  return new Promise((resolve) => {
    const options = {host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, localAddress}
    const req = request({...options, headers: allHeaders}, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
      res.on('error', () => resolve(0))
    })
    req.on('error', () => resolve(0))
    req.end(benchBody)
  })
}

export type LatencySummary = {requests: number; p50Ms: number; p90Ms: number; p99Ms: number; maxMs: number}

/** Percentiles of `latencies` (ms), which it sorts. */
export function latencySummary(latencies: number[]): LatencySummary {
  latencies.sort((a, b) => a - b)
  const pct = (p: number) => {
    const at = Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))
    return Number((latencies[at] ?? 0).toFixed(2))
  }
  return {requests: latencies.length, p50Ms: pct(50), p90Ms: pct(90), p99Ms: pct(99), maxMs: pct(100)}
}

/** Counts of each HTTP status (0: no answer). */
export function countStatuses(statuses: Iterable<number>): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1
  return counts
}

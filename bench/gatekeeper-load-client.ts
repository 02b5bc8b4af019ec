// The load generator for bench/gatekeeper-load.ts, in its own process. Requests are
// signed before the clock starts (libsecp256k1, a fresh nonce each), then sent over
// keep-alive connections as fast as answers come back, for a fixed time.
import {randomBytes} from 'node:crypto'
import {Agent, request} from 'node:http'

import secp256k1 from 'secp256k1'
import {getAddress, hexToBytes, toHex, type Address, type Hex} from 'viem'
import {privateKeyToAccount} from 'viem/accounts'

import {gatekeeperRequestDigest, gatekeeperRequestHash} from '../src/gatekeeper/request-typed-data.js'
import {allResourcesScope} from '../src/gatekeeper/resource-scope.js'
import {encodeGatekeeperRequestHeader} from '../src/gatekeeper/sign-request.js'

type Options = {mode: 'signed' | 'plain'; url: string; chainId: number; registrar: Address; audience: Address; relationship: Address; privateKey: Hex; seconds: number; connections: number}
const options = JSON.parse(process.env.MEDREC_LOAD ?? '{}') as Options
const url = new URL(options.url)
const body = Buffer.from('{}')
const requester = getAddress(privateKeyToAccount(options.privateKey).address)
const secret = hexToBytes(options.privateKey)
const requestHash = gatekeeperRequestHash({method: 'POST', path: url.pathname, body})

function signedHeaders(): Record<string, string> {
  const fields = {requester, relationship: options.relationship, action: 'read' as const, scope: allResourcesScope, nonce: toHex(randomBytes(32)), expiry: BigInt(Math.floor(Date.now() / 1000) + 280), audience: options.audience}
  const digest = gatekeeperRequestDigest(options.chainId, options.registrar, {...fields, requestHash})
  const {signature, recid} = secp256k1.ecdsaSign(hexToBytes(digest), secret)
  return {'medrec-request': encodeGatekeeperRequestHeader(fields), 'medrec-signature': `${toHex(signature)}${(27 + recid).toString(16)}`}
}

// Enough signed requests for 4,000 per second (and the warm-up), made before timing.
const warmupSeconds = 2
const budget = options.mode === 'signed' ? (options.seconds + warmupSeconds) * 4000 : 0
const prepared: Record<string, string>[] = Array.from({length: budget}, signedHeaders)
let next = 0

const agent = new Agent({keepAlive: true, maxSockets: options.connections})
function once(): Promise<number> {
  const headers = {...(options.mode === 'signed' ? prepared[next++]! : {}), 'content-type': 'application/json', 'content-length': String(body.length)}
  return new Promise((resolve, reject) => {
    const req = request({host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers, agent}, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end(body)
  })
}

async function run(durationMs: number, record: boolean) {
  const latencies: number[] = []
  const statuses: Record<string, number> = {}
  let failures = 0
  const end = performance.now() + durationMs
  await Promise.all(
    Array.from({length: options.connections}, async () => {
      while (performance.now() < end && (options.mode === 'plain' || next < prepared.length)) {
        const started = performance.now()
        const status = await once().catch(() => 0)
        if (!record) continue
        latencies.push(performance.now() - started)
        statuses[status] = (statuses[status] ?? 0) + 1
        if (status !== 200) failures++
      }
    }),
  )
  return {latencies, statuses, failures}
}

await run(warmupSeconds * 1000, false)
const started = performance.now()
const {latencies, statuses, failures} = await run(options.seconds * 1000, true)
const elapsed = (performance.now() - started) / 1000
latencies.sort((a, b) => a - b)
const pct = (p: number) => Number((latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0).toFixed(2))
process.stdout.write(JSON.stringify({mode: options.mode, requests: latencies.length, seconds: Number(elapsed.toFixed(2)), perSecond: Math.round((latencies.length - failures) / elapsed), p50Ms: pct(50), p90Ms: pct(90), p99Ms: pct(99), maxMs: pct(100), failures, statuses}))
agent.destroy()

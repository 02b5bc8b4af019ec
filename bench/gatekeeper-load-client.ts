// The load generator for bench/gatekeeper-load.ts, in its own process. Requests are
// signed before the clock starts (libsecp256k1, a fresh nonce each), then sent over
// keep-alive connections as fast as answers come back, for a fixed time.
import {Agent} from 'node:http'

import {
  countStatuses,
  latencySummary,
  postOnce,
  requestSigner,
  secretOf,
  type BenchTarget,
} from './gatekeeper-bench-client.js'

type Options = BenchTarget & {mode: 'signed' | 'plain'; seconds: number; connections: number}
const options = JSON.parse(process.env.MEDREC_LOAD ?? '{}') as Options
const url = new URL(options.url)
const sign = requestSigner(options, secretOf(options))

// Enough signed requests for 4,000 per second (and the warm-up), made before timing.
const warmupSeconds = 2
const budget = options.mode === 'signed' ? (options.seconds + warmupSeconds) * 4000 : 0
const prepared: Record<string, string>[] = Array.from({length: budget}, sign)
let next = 0

const agent = new Agent({keepAlive: true, maxSockets: options.connections})

async function run(durationMs: number, record: boolean) {
  const latencies: number[] = []
  const statuses: number[] = []
  const end = performance.now() + durationMs
  await Promise.all(
    Array.from({length: options.connections}, async () => {
      while (performance.now() < end && (options.mode === 'plain' || next < prepared.length)) {
        const started = performance.now()
        const status = await postOnce(url, options.mode === 'signed' ? prepared[next++]! : {}, agent)
        if (!record) continue
        latencies.push(performance.now() - started)
        statuses.push(status)
      }
    }),
  )
  return {latencies, statuses}
}

await run(warmupSeconds * 1000, false)
const started = performance.now()
const {latencies, statuses} = await run(options.seconds * 1000, true)
const elapsed = (performance.now() - started) / 1000
const failures = statuses.filter((s) => s !== 200).length
const summary = latencySummary(latencies)
const perSecond = Math.round((summary.requests - failures) / elapsed)
const seconds = Number(elapsed.toFixed(2))
const result = {mode: options.mode, ...summary, seconds, perSecond, failures, statuses: countStatuses(statuses)}
process.stdout.write(JSON.stringify(result))
agent.destroy()

// A load generator for bench/gatekeeper-flood.ts, in its own process: sends signed
// requests at a fixed rate whatever the answers (open loop, as a flood does), from one
// local address, and reports what came back. As `strangers`, every request is signed by a
// fresh random key nobody registered; as `patient`, by the patient's key. All requests
// are signed before the clock starts; sending begins at `startAt` (ms since the epoch) so
// two generators can start together.
import {Agent} from 'node:http'

import {
  countStatuses,
  latencySummary,
  postOnce,
  randomSecret,
  requestSigner,
  secretOf,
  type BenchTarget,
} from './gatekeeper-bench-client.js'

type Options = BenchTarget & {
  who: 'strangers' | 'patient'
  perSecond: number
  seconds: number
  localAddress: string
  startAt: number
  connections: number
}
const options = JSON.parse(process.env.MEDREC_LOAD ?? '{}') as Options
const url = new URL(options.url)
const total = Math.round(options.perSecond * options.seconds)
const patientSigner = options.who === 'patient' ? requestSigner(options, secretOf(options)) : undefined
const prepared = Array.from({length: total}, () => (patientSigner ?? requestSigner(options, randomSecret()))())

// Open loop: every tick sends what the schedule says is due, unless this many are
// already waiting for an answer (then the flood is as fast as the gatekeeper lets it be).
const maxInFlight = 4 * options.connections
const agent = new Agent({keepAlive: true, maxSockets: options.connections})
const latencies: number[] = []
const statuses: number[] = []
let sent = 0
let inFlight = 0
let skipped = 0

const lateStartMs = Math.max(0, Date.now() - options.startAt)
await new Promise((resolve) => setTimeout(resolve, Math.max(0, options.startAt - Date.now())))
const started = performance.now()
await new Promise<void>((resolve) => {
  const tick = setInterval(() => {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * options.perSecond))
    while (sent < due) {
      const headers = prepared[sent++]!
      if (inFlight >= maxInFlight) {
        skipped++
        continue
      }
      inFlight++
      const t0 = performance.now()
      void postOnce(url, headers, agent, options.localAddress).then((status) => {
        inFlight--
        latencies.push(performance.now() - t0)
        statuses.push(status)
        if (sent >= total && inFlight === 0) resolve()
      })
    }
    if (sent >= total) {
      clearInterval(tick)
      if (inFlight === 0) resolve()
    }
  }, 5)
})
const elapsed = (performance.now() - started) / 1000
const ok = statuses.filter((s) => s === 200).length
process.stdout.write(
  JSON.stringify({
    who: options.who,
    localAddress: options.localAddress,
    targetPerSecond: options.perSecond,
    seconds: Number(elapsed.toFixed(2)),
    sent: statuses.length,
    skippedBacklog: skipped,
    answeredPerSecond: Math.round(statuses.length / elapsed),
    successRatio: Number((ok / Math.max(1, statuses.length)).toFixed(4)),
    ...latencySummary(latencies),
    statuses: countStatuses(statuses),
    lateStartMs,
  }),
)
agent.destroy()

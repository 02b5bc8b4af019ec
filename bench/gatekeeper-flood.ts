// A patient's requests while strangers flood the gatekeeper: 1,000 requests per second,
// each signed by a fresh random key, from a separate process on 127.0.0.1, while the
// patient asks at a steady low rate from another process on 127.0.0.2. First the patient
// alone (the baseline), then both together; the gatekeeper runs with its default quotas
// and audit policy. Everything is real, as in bench/gatekeeper-load.ts.
//
//   node --import ./bench/ts-resolve-hook.mjs bench/gatekeeper-flood.ts \
//     [seconds=15] [strangersPerSecond=1000] [patientPerSecond=10]
//
// Reports the strangers' achieved rate and answers, the patient's success ratio and
// latency with and without the flood, and how many lines the flood added to the audit
// log (counted after the gatekeeper stopped, so the last summary lines are in).
// Writes bench/results/gatekeeper-flood.json and prints the figures.
import {readFile} from 'node:fs/promises'

import {benchMachine, runBenchClient, startBenchGatekeeper, writeBenchResult} from './gatekeeper-bench-setup.js'
import {refusalSummaryAction} from '../src/gatekeeper/refusal-audit.js'

const seconds = Number(process.argv[2] ?? 15)
const strangersPerSecond = Number(process.argv[3] ?? 1000)
const patientPerSecond = Number(process.argv[4] ?? 10)
// Long enough for the strangers' generator to sign its requests before the clock starts.
const preparationMs = Math.max(5000, strangersPerSecond * seconds * 0.4)

type ClientResult = {
  successRatio: number
  answeredPerSecond: number
  p50Ms: number
  p99Ms: number
  statuses: Record<string, number>
  sent: number
  lateStartMs: number
}
type AuditLine = {outcome: string; action: string; reason: string; requester: string | null}

const patientFigures = (result: ClientResult) => {
  const {successRatio, p50Ms, p99Ms, statuses} = result
  return {successRatio, p50Ms, p99Ms, statuses}
}

const readLines = async (path: string): Promise<AuditLine[]> =>
  (await readFile(path, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditLine)

const bench = await startBenchGatekeeper({blockTimeSeconds: 1})
try {
  const patient = {...bench.patient, who: 'patient', perSecond: patientPerSecond, seconds, connections: 4}
  const strangers = {...bench.patient, who: 'strangers', perSecond: strangersPerSecond, seconds, connections: 64}
  const client = (options: Record<string, unknown>) =>
    runBenchClient<ClientResult>('bench/gatekeeper-flood-client.ts', options)

  // The patient alone.
  const baseline = await client({...patient, localAddress: '127.0.0.2', startAt: Date.now() + 1000})
  const linesBefore = (await readLines(bench.auditPath)).length
  const heapBefore = process.memoryUsage().heapUsed

  // The patient during the flood.
  const startAt = Date.now() + preparationMs
  const [flooded, flood] = await Promise.all([
    client({...patient, localAddress: '127.0.0.2', startAt}),
    client({...strangers, localAddress: '127.0.0.1', startAt}),
  ])
  const heapAfter = process.memoryUsage().heapUsed
  // Stopping writes the summaries still counted.
  await bench.gatekeeper.close()
  const added = (await readLines(bench.auditPath)).slice(linesBefore)
  const summaries = added.filter((l) => l.action === refusalSummaryAction)
  const refusals = added.filter((l) => l.outcome === 'denied' && l.action !== refusalSummaryAction)
  const patientAddress = bench.world.patient.account.address

  await writeBenchResult('gatekeeper-flood', {
    measuredAt: new Date().toISOString(),
    machine: benchMachine(),
    setup: {
      chain: 'anvil, 1 s blocks',
      store: 'SQLite, 5 resources per answer',
      seconds,
      gatekeeper:
        'default limits: 50 req/s (burst 100) per requester, 100 req/s (burst 200) per source address, ' +
        '50 anonymous refusal lines then 1 per 10 s, summaries every 60 s',
      strangers: `${strangersPerSecond} req/s from 127.0.0.1, each signed by a fresh random key (a separate process)`,
      patient: `${patientPerSecond} req/s from 127.0.0.2 (a separate process), alone and then during the flood`,
    },
    strangers: {
      achievedPerSecond: flood.answeredPerSecond,
      sent: flood.sent,
      statuses: flood.statuses,
      p50Ms: flood.p50Ms,
      p99Ms: flood.p99Ms,
      lateStartMs: flood.lateStartMs,
    },
    patient: {baseline: patientFigures(baseline), duringFlood: patientFigures(flooded)},
    auditLog: {
      linesAdded: added.length,
      allowed: added.filter((l) => l.outcome === 'allowed').length,
      patientRefusals: refusals.filter((l) => l.requester === patientAddress).length,
      anonymousRefusalLines: refusals.filter((l) => l.requester !== patientAddress).length,
      summaryLines: summaries.length,
      refusalsCountedInSummaries: summaries.reduce((sum, l) => sum + Number(l.reason.split(':').at(-1)), 0),
      summaries: summaries.map((l) => l.reason),
    },
    // The gatekeeper's process (this one) holds also anvil's client and the setup; garbage not yet collected counts.
    gatekeeperHeapUsedMiB: {beforeFlood: Math.round(heapBefore / 2 ** 20), afterFlood: Math.round(heapAfter / 2 ** 20)},
  })
} finally {
  await bench.close()
}

// Load on a real gatekeeper from a separate process: allowed queries per second and
// latency percentiles, and the same query served with no authorisation at all, so the
// cost of authorisation shows as a ratio. Everything is real: anvil (a London EVM)
// mining a block every second (so the permission cache is dropped every second, as on
// a 1 s Clique chain), the Registrar's canAccess, a SQLite store, the hash-chained
// audit log, libsecp256k1 recovery and ECIES encryption of every answer.
//
//   node --import ./bench/ts-resolve-hook.mjs bench/gatekeeper-load.ts [seconds=15] [connections=8,32]
//
// Throughput is measured at each number of concurrent connections; latency at a low one
// is what a user sees, at a high one it is mostly time spent queueing. One patient asks
// from one address as fast as it can, so the per-requester and per-address quotas are
// lifted here (their check still runs on every request); bench/gatekeeper-flood.ts
// measures them.
//
// Writes bench/results/gatekeeper-load.json and prints the figures.
import Fastify from 'fastify'

import type {LatencySummary} from './gatekeeper-bench-client.js'

type Statuses = {statuses: Record<string, number>}
import {benchMachine, runBenchClient, startBenchGatekeeper, writeBenchResult} from './gatekeeper-bench-setup.js'

const seconds = Number(process.argv[2] ?? 15)
const concurrency = (process.argv[3] ?? '8,32').split(',').map(Number)

type LoadResult = LatencySummary & {mode: string; seconds: number; perSecond: number; failures: number} & Statuses

const unlimited = {perSecond: 1e9, burst: 1e9}
const limits = {requesterQuota: unlimited, sourceQuota: unlimited}
const bench = await startBenchGatekeeper({blockTimeSeconds: 1, limits})
try {
  // The same query with nothing in front of it: no signature, no chain, no audit, no encryption.
  const plain = Fastify({logger: false})
  plain.post('/v1/records', async (_request, reply) => {
    const records = await bench.store.query({patient: bench.world.patient.id, limit: 1000})
    return reply.type('application/json').send(
      JSON.stringify({
        records: records.map((r) => ({
          resourceType: r.resourceType,
          resourceId: r.resourceId,
          version: r.version,
          updatedAt: r.updatedAt,
          seq: r.seq,
          resource: r.resource,
        })),
      }),
    )
  })
  await plain.listen({host: '127.0.0.1', port: 0})
  const plainUrl = `http://127.0.0.1:${(plain.server.address() as {port: number}).port}/v1/records`

  const runs = []
  for (const connections of concurrency) {
    const client = (mode: 'plain' | 'signed', url: string) =>
      runBenchClient<LoadResult>('bench/gatekeeper-load-client.ts', {...bench.patient, seconds, connections, mode, url})
    const unauthorised = await client('plain', plainUrl)
    const authorised = await client('signed', bench.patient.url)
    runs.push({
      connections,
      authorised,
      unauthorised,
      overhead: {
        throughputRatio: Number((unauthorised.perSecond / authorised.perSecond).toFixed(2)),
        p50Ratio: Number((authorised.p50Ms / unauthorised.p50Ms).toFixed(2)),
        p99Ratio: Number((authorised.p99Ms / unauthorised.p99Ms).toFixed(2)),
      },
      goal: {perSecond: 2000, p99Ms: 25, met: authorised.perSecond >= 2000 && authorised.p99Ms < 25},
    })
  }
  await plain.close()
  await writeBenchResult('gatekeeper-load', {
    measuredAt: new Date().toISOString(),
    machine: benchMachine(),
    setup: {
      chain: 'anvil, 1 s blocks',
      store: 'SQLite, 5 resources per answer',
      seconds,
      loadFrom: 'a separate Node process on the same machine, requests signed before the clock starts',
      quotas: 'lifted (checked, never exceeded)',
    },
    runs,
  })
} finally {
  await bench.close()
}

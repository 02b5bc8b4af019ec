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
// is what a user sees, at a high one it is mostly time spent queueing.
//
// Writes bench/results/gatekeeper-load.json and prints the figures.
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import Fastify from 'fastify'

import {startAnvil} from '../src/contracts/anvil.js'
import {compileMedrecContracts} from '../src/contracts/compile-contracts.js'
import {acceptedRelationship, connectTestChain, deployMedrecWorld, privateKeyOf} from '../src/contracts/testing/medrec-test-world.js'
import {openAuditLog} from '../src/gatekeeper/audit-log.js'
import {ChainAccess} from '../src/gatekeeper/chain-access.js'
import {buildGatekeeperServer} from '../src/gatekeeper/gatekeeper-server.js'
import {NonceRegistry} from '../src/gatekeeper/nonce-registry.js'
import {openSqliteRecordStore} from '../src/gatekeeper/sqlite-record-store.js'

const seconds = Number(process.argv[2] ?? 15)
const concurrency = (process.argv[3] ?? '8,32').split(',').map(Number)

type LoadResult = {mode: string; requests: number; seconds: number; perSecond: number; p50Ms: number; p90Ms: number; p99Ms: number; maxMs: number; failures: number; statuses: Record<string, number>}

async function runClient(options: Record<string, unknown>): Promise<LoadResult> {
  const child = spawn(process.execPath, ['--import', './bench/ts-resolve-hook.mjs', 'bench/gatekeeper-load-client.ts'], {stdio: ['ignore', 'pipe', 'inherit'], env: {...process.env, MEDREC_LOAD: JSON.stringify(options)}})
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  if (code !== 0) throw new Error(`the load client failed (${code}): ${out}`)
  return JSON.parse(out) as LoadResult
}

const anvil = await startAnvil({args: ['--block-time', '1']})
const dir = await mkdtemp(join(tmpdir(), 'medrec-bench-gk-'))
try {
  const chain = connectTestChain(anvil.rpcUrl, anvil.chainId)
  const compiled = await compileMedrecContracts({contractsDir: new URL('../contracts', import.meta.url).pathname})
  const world = await deployMedrecWorld(chain, compiled.artifacts)
  const relationship = await acceptedRelationship(world)
  const store = await openSqliteRecordStore(join(dir, 'records.sqlite'))
  // A small chart: demographics, three observations, a condition.
  await store.putMany(world.patient.id, [
    {resourceType: 'Patient', id: 'p1', name: [{family: 'Doe', given: ['Alice']}], birthDate: '1970-01-01'},
    ...[1, 2, 3].map((i) => ({resourceType: 'Observation', id: `o${i}`, status: 'final', code: {text: 'Glucose'}, valueQuantity: {value: 5 + i / 10, unit: 'mmol/L'}, effectiveDateTime: `2026-0${i}-01`})),
    {resourceType: 'Condition', id: 'c1', code: {text: 'Type 2 diabetes'}, onsetDateTime: '2020-05-01'},
  ])
  const audit = await openAuditLog(join(dir, 'audit.log'), {macKey: randomBytes(32)})
  const access = new ChainAccess({publicClient: chain.publicClient as never, registrar: world.registrar, providerId: world.provider.id})
  await access.start()
  const gatekeeper = await buildGatekeeperServer({chainId: anvil.chainId, registrar: world.registrar, audience: world.provider.account.address, chain: access, store, audit, nonces: new NonceRegistry()})
  await gatekeeper.listen({host: '127.0.0.1', port: 0})
  // The same query with nothing in front of it: no signature, no chain, no audit, no encryption.
  const plain = Fastify({logger: false})
  plain.post('/v1/records', async (_request, reply) => {
    const records = await store.query({patient: world.patient.id, limit: 1000})
    return reply.type('application/json').send(JSON.stringify({records: records.map((r) => ({resourceType: r.resourceType, resourceId: r.resourceId, version: r.version, updatedAt: r.updatedAt, seq: r.seq, resource: r.resource}))}))
  })
  await plain.listen({host: '127.0.0.1', port: 0})
  const port = (server: typeof plain) => (server.server.address() as {port: number}).port

  const common = {chainId: anvil.chainId, registrar: world.registrar, audience: world.provider.account.address, relationship, privateKey: privateKeyOf(world.patient.account), seconds}
  const runs = []
  for (const connections of concurrency) {
    const unauthorised = await runClient({...common, connections, mode: 'plain', url: `http://127.0.0.1:${port(plain)}/v1/records`})
    const authorised = await runClient({...common, connections, mode: 'signed', url: `http://127.0.0.1:${port(gatekeeper)}/v1/records`})
    runs.push({
      connections,
      authorised,
      unauthorised,
      overhead: {throughputRatio: Number((unauthorised.perSecond / authorised.perSecond).toFixed(2)), p50Ratio: Number((authorised.p50Ms / unauthorised.p50Ms).toFixed(2)), p99Ratio: Number((authorised.p99Ms / unauthorised.p99Ms).toFixed(2))},
      goal: {perSecond: 2000, p99Ms: 25, met: authorised.perSecond >= 2000 && authorised.p99Ms < 25},
    })
  }
  const result = {
    measuredAt: new Date().toISOString(),
    machine: {cpus: (await import('node:os')).cpus().length, node: process.version},
    setup: {chain: 'anvil, 1 s blocks', store: 'SQLite, 5 resources per answer', seconds, loadFrom: 'a separate Node process on the same machine, requests signed before the clock starts'},
    runs,
  }
  await mkdir('bench/results', {recursive: true})
  await writeFile('bench/results/gatekeeper-load.json', `${JSON.stringify(result, null, 2)}\n`)
  console.log(JSON.stringify(result, null, 2))
  await gatekeeper.close()
  await plain.close()
  access.stop()
  await audit.close()
  await store.close()
} finally {
  await anvil.stop()
  await rm(dir, {recursive: true, force: true})
}

// Shared by the gatekeeper benchmarks (bench/gatekeeper-load.ts, bench/gatekeeper-flood.ts):
// a real gatekeeper over anvil (a London EVM sealing a block every `blockTimeSeconds`, as a
// Clique chain with that period would), the MedRec contracts, a patient with an accepted
// relationship, a SQLite store holding a small chart, and the real audit log; plus the
// way a benchmark runs its load generators in separate processes and writes its result.
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {cpus, tmpdir} from 'node:os'
import {join} from 'node:path'

import type {PublicClient} from 'viem'

import {startAnvil, type AnvilInstance} from '../src/contracts/anvil.js'
import {compileMedrecContracts} from '../src/contracts/compile-contracts.js'
import {
  acceptedRelationship,
  connectTestChain,
  deployMedrecWorld,
  privateKeyOf,
  type MedrecWorld,
} from '../src/contracts/testing/medrec-test-world.js'
import type {GatekeeperLimits} from '../src/gatekeeper/gatekeeper-server.js'
import {serveGatekeeper, type ServedGatekeeper} from '../src/gatekeeper/serve-gatekeeper.js'
import {openSqliteRecordStore} from '../src/gatekeeper/sqlite-record-store.js'
import type {RecordStore} from '../src/gatekeeper/record-store.js'
import type {BenchTarget} from './gatekeeper-bench-client.js'

export type BenchGatekeeper = {
  anvil: AnvilInstance
  world: MedrecWorld
  store: RecordStore
  gatekeeper: ServedGatekeeper
  auditPath: string
  /** What a load generator needs to sign the patient's requests to this gatekeeper. */
  patient: BenchTarget
  close(): Promise<void>
}

/** Starts anvil, deploys MedRec, and serves the patient's chart through a real gatekeeper on 127.0.0.1. */
export async function startBenchGatekeeper(options: {
  blockTimeSeconds: number
  limits?: Partial<GatekeeperLimits>
}): Promise<BenchGatekeeper> {
  const anvil = await startAnvil({args: ['--block-time', String(options.blockTimeSeconds)]})
  const dir = await mkdtemp(join(tmpdir(), 'medrec-bench-gk-'))
  const steps: (() => Promise<unknown>)[] = [() => rm(dir, {recursive: true, force: true}), () => anvil.stop()]
  const close = async () => {
    for (const step of steps.splice(0)) await step().catch(() => undefined)
  }
  try {
    const chain = connectTestChain(anvil.rpcUrl, anvil.chainId)
    const compiled = await compileMedrecContracts({contractsDir: new URL('../contracts', import.meta.url).pathname})
    const world = await deployMedrecWorld(chain, compiled.artifacts)
    const relationship = await acceptedRelationship(world)
    const store = await openSqliteRecordStore(join(dir, 'records.sqlite'))
    steps.unshift(() => store.close())
    // A small chart: demographics, three observations, a condition.
    await store.putMany(world.patient.id, [
      {resourceType: 'Patient', id: 'p1', name: [{family: 'Doe', given: ['Alice']}], birthDate: '1970-01-01'},
      ...[1, 2, 3].map((i) => ({
        resourceType: 'Observation',
        id: `o${i}`,
        status: 'final',
        code: {text: 'Glucose'},
        valueQuantity: {value: 5 + i / 10, unit: 'mmol/L'},
        effectiveDateTime: `2026-0${i}-01`,
      })),
      {resourceType: 'Condition', id: 'c1', code: {text: 'Type 2 diabetes'}, onsetDateTime: '2020-05-01'},
    ])
    const auditPath = join(dir, 'audit.log')
    const gatekeeper = await serveGatekeeper({
      publicClient: chain.publicClient as unknown as PublicClient,
      chainId: anvil.chainId,
      registrar: world.registrar,
      providerId: world.provider.id,
      providerLabel: 'the bench provider',
      cliquePeriodSeconds: options.blockTimeSeconds,
      store,
      auditPath,
      auditKey: randomBytes(32),
      host: '127.0.0.1',
      port: 0,
      limits: options.limits,
    })
    steps.unshift(() => gatekeeper.close())
    const patient: BenchTarget = {
      url: `${gatekeeper.url}/v1/records`,
      chainId: anvil.chainId,
      registrar: world.registrar,
      audience: world.provider.account.address,
      relationship,
      privateKey: privateKeyOf(world.patient.account),
    }
    return {anvil, world, store, gatekeeper, auditPath, patient, close}
  } catch (error) {
    await close()
    throw error
  }
}

/** Runs a load generator (a bench/*.ts script) in its own Node process and returns the JSON it prints. */
export async function runBenchClient<T>(script: string, options: Record<string, unknown>): Promise<T> {
  const child = spawn(process.execPath, ['--import', './bench/ts-resolve-hook.mjs', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {...process.env, MEDREC_LOAD: JSON.stringify(options)},
  })
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  if (code !== 0) throw new Error(`the load client ${script} failed (${code}): ${out}`)
  return JSON.parse(out) as T
}

/** The machine a result was measured on. */
export function benchMachine(): {cpus: number; node: string} {
  return {cpus: cpus().length, node: process.version}
}

/** Writes bench/results/NAME.json and prints it. */
export async function writeBenchResult(name: string, result: unknown): Promise<void> {
  await mkdir('bench/results', {recursive: true})
  const text = `${JSON.stringify(result, null, 2)}\n`
  await writeFile(`bench/results/${name}.json`, text)
  console.log(text)
}

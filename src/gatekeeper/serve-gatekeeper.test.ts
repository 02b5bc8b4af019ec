import {randomBytes} from 'node:crypto'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {LocalAccount, PublicClient} from 'viem'
import {afterEach, describe, expect, it} from 'vitest'

import {acceptedRelationship, deployMedrecWorld} from '../contracts/testing/medrec-test-world.js'
import {useMedrecChain} from '../contracts/testing/test-context.js'
import {errorCodes} from '../errors/error-codes.js'
import {openAuditLog} from './audit-log.js'
import {scopeForResourceTypes} from './resource-scope.js'
import {serveGatekeeper, type ServeGatekeeperOptions} from './serve-gatekeeper.js'
import {signGatekeeperRequest} from './sign-request.js'
import {openSqliteRecordStore} from './sqlite-record-store.js'

/** One MAC key per test file: a log reopened in a test must be opened with the key it was written with. */
const auditKey = randomBytes(32)

const ctx = useMedrecChain()
const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const step of cleanups.splice(0).reverse()) await step().catch(() => undefined)
})

/** A world with the patient's accepted relationship, and everything serveGatekeeper needs for its provider. */
async function gatekeeperSetup() {
  const world = await deployMedrecWorld(ctx.chain(), ctx.compiled().artifacts)
  const relationship = await acceptedRelationship(world)
  const dir = await mkdtemp(join(tmpdir(), 'medrec-serve-'))
  cleanups.push(() => rm(dir, {recursive: true, force: true}))
  const store = await openSqliteRecordStore(join(dir, 'records.sqlite'))
  cleanups.push(() => store.close())
  await store.putMany(world.patient.id, [{resourceType: 'Observation', id: 'o1', code: {text: 'HbA1c'}}])
  const options: ServeGatekeeperOptions = {
    publicClient: world.chain.publicClient as unknown as PublicClient,
    chainId: world.chain.chain.id,
    registrar: world.registrar,
    providerId: world.provider.id,
    providerLabel: 'mercy',
    cliquePeriodSeconds: 1,
    store,
    auditPath: join(dir, 'audit.log'),
    auditKey,
    host: '127.0.0.1',
    port: 0,
    chainPollMs: 50,
  }
  const serve = async () => {
    const served = await serveGatekeeper(options)
    cleanups.push(() => served.close())
    return served
  }
  const sign = (account: LocalAccount, extra: {now?: Date; lifetimeSeconds?: number} = {}) =>
    signGatekeeperRequest({
      account,
      chainId: options.chainId,
      registrar: world.registrar,
      audience: world.provider.account.address,
      relationship,
      action: 'read',
      scope: scopeForResourceTypes(undefined),
      method: 'POST',
      path: '/v1/records',
      body: Buffer.from('{}'),
      ...extra,
    })
  const post = async (url: string, signed: Awaited<ReturnType<typeof sign>>) => {
    const headers = {...signed.headers, 'content-type': 'application/json'}
    return (await fetch(`${url}/v1/records`, {method: 'POST', headers, body: '{}'})).status
  }
  return {world, relationship, options, serve, sign, post}
}

describe('serveGatekeeper', () => {
  it('refuses to start a second gatekeeper on the same audit log, and starts once the first has stopped', async () => {
    // Given a running gatekeeper
    const setup = await gatekeeperSetup()
    const first = await setup.serve()
    // When a second one is started on the same audit log, Then it is refused with a clear code
    const refused = {code: errorCodes.GATEKEEPER_ALREADY_RUNNING, message: expect.stringContaining('mercy')}
    await expect(serveGatekeeper(setup.options)).rejects.toMatchObject(refused)
    // And the first keeps serving
    expect(await setup.post(first.url, await setup.sign(setup.world.patient.account))).toBe(200)
    // When the first stops, Then another can start and serve
    await first.close()
    const second = await setup.serve()
    expect(await setup.post(second.url, await setup.sign(setup.world.patient.account))).toBe(200)
  })

  it('refuses after a restart a request answered before it, while the request could still be accepted', async () => {
    const setup = await gatekeeperSetup()
    const patient = setup.world.patient.account
    // Given a request answered, then a restart
    const first = await setup.serve()
    const answered = await setup.sign(patient)
    expect(await setup.post(first.url, answered)).toBe(200)
    await first.close()
    // And a request answered 335 s ago by an earlier run, signed to expire 329 s after that
    // (within the 300 s maximum plus 30 s of clock skew, so the verifier accepts it until 24 s from now)
    const then = new Date(Date.now() - 335_000)
    const old = await setup.sign(patient, {now: then, lifetimeSeconds: 329})
    const log = await openAuditLog(setup.options.auditPath, {macKey: auditKey})
    await log.append({
      time: then.toISOString(),
      requester: patient.address,
      relationship: setup.relationship,
      action: 'records.read',
      outcome: 'allowed',
      reason: 'ok',
      block: null,
      nonce: old.request.nonce,
      signatureHash: null,
      expiry: old.request.expiry.toString(),
    })
    await log.close()
    // When the gatekeeper starts again
    const second = await setup.serve()
    expect(second.restoredNonces).toBe(2)
    // Then both replays are refused (the old seeding forgot the second at 330 s, while it was still acceptable)
    expect(await setup.post(second.url, answered)).toBe(403)
    expect(await setup.post(second.url, old)).toBe(403)
    // And a fresh request is served
    expect(await setup.post(second.url, await setup.sign(patient))).toBe(200)
    await second.close()
    const lines = (await readFile(setup.options.auditPath, 'utf8')).trim().split('\n')
    const reasons = lines.map((l) => (JSON.parse(l) as {reason: string}).reason)
    expect(reasons.slice(-3)).toEqual(['replay', 'replay', 'ok'])
  })
})

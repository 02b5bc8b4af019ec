import {randomBytes} from 'node:crypto'
import {mkdtemp, readFile, rm, symlink} from 'node:fs/promises'
import {createServer, type Server} from 'node:http'
import {connect} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {createPublicClient, http, type Address, type Hex, type LocalAccount} from 'viem'
import {afterEach, describe, expect, it} from 'vitest'

import {dropPostgresSchema, postgresPrerequisites} from '../../test/helpers/postgres-prerequisites.js'
import {acceptedRelationship, deployMedrecWorld, privateKeyOf, proposeRelationship, type MedrecWorld} from '../contracts/testing/medrec-test-world.js'
import {useMedrecChain} from '../contracts/testing/test-context.js'
import {malleate} from '../contracts/testing/signature-test-util.js'
import {openAuditLog, verifyAuditLog} from './audit-log.js'
import {ChainAccess} from './chain-access.js'
import {fetchRecords, subscribeNotifications} from './gatekeeper-client.js'
import {buildGatekeeperServer, type GatekeeperLimits} from './gatekeeper-server.js'
import {NonceRegistry} from './nonce-registry.js'
import {decryptWithPrivateKey} from './payload-encryption.js'
import {resourceScopeBits, scopeForResourceTypes} from './resource-scope.js'
import {signGatekeeperRequest} from './sign-request.js'
import {openSqliteRecordStore} from './sqlite-record-store.js'
import {openPostgresRecordStore} from './postgres-record-store.js'
import type {RecordStore} from './record-store.js'

const postgres = postgresPrerequisites()

const ctx = useMedrecChain()
const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const step of cleanups.splice(0).reverse()) await step().catch(() => undefined)
})

const forbidden = {error: 'forbidden', message: 'This request is not allowed.'}

/** A proxy in front of anvil that can be switched off: the RPC node going down. */
async function switchableRpc(target: string): Promise<{url: string; down: boolean}> {
  const state = {url: '', down: false}
  const server: Server = createServer(async (req, res) => {
    if (state.down) return req.socket.destroy()
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const answer = await fetch(target, {method: 'POST', headers: {'content-type': 'application/json'}, body: Buffer.concat(chunks)})
    res.writeHead(answer.status, {'content-type': 'application/json'}).end(Buffer.from(await answer.arrayBuffer()))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => new Promise((resolve) => server.close(resolve)))
  state.url = `http://127.0.0.1:${(server.address() as {port: number}).port}`
  return state
}

type Gatekeeper = Awaited<ReturnType<typeof startTestGatekeeper>>

/** A world with an accepted patient–provider relationship and a gatekeeper for the provider holding the patient's records. */
async function startTestGatekeeper(options: {limits?: Partial<GatekeeperLimits>; auditPath?: (dir: string) => Promise<string>; store?: () => Promise<RecordStore>} = {}) {
  const world: MedrecWorld = await deployMedrecWorld(ctx.chain(), ctx.compiled().artifacts)
  const relationship = await acceptedRelationship(world)
  const dir = await mkdtemp(join(tmpdir(), 'medrec-gk-'))
  cleanups.push(() => rm(dir, {recursive: true, force: true}))
  const store = options.store ? await options.store() : await openSqliteRecordStore(join(dir, 'records.sqlite'))
  cleanups.push(() => store.close())
  await store.putMany(world.patient.id, [
    {resourceType: 'Patient', id: 'p1', name: [{family: "O'Brien"}]},
    {resourceType: 'Observation', id: 'o1', code: {text: 'HbA1c'}, valueQuantity: {value: 6.1}},
    {resourceType: 'Condition', id: 'c1', code: {text: 'Type 2 diabetes'}},
  ])
  await store.putMany(world.otherPatient.id, [{resourceType: 'Observation', id: 'other', code: {text: 'not yours'}}])
  const auditPath = options.auditPath ? await options.auditPath(dir) : join(dir, 'audit.log')
  const audit = await openAuditLog(auditPath, {macKey: randomBytes(32)})
  cleanups.push(() => audit.close())
  const rpc = await switchableRpc(world.chain.chain.rpcUrls.default.http[0]!)
  const publicClient = createPublicClient({chain: world.chain.chain, transport: http(rpc.url, {retryCount: 0, timeout: 2000})})
  const chain = new ChainAccess({publicClient, registrar: world.registrar, providerId: world.provider.id, pollMs: 50, staleAfterMs: 1000})
  await chain.start()
  cleanups.push(async () => chain.stop())
  const nonces = new NonceRegistry()
  const app = await buildGatekeeperServer({chainId: world.chain.chain.id, registrar: world.registrar, audience: world.provider.account.address, chain, store, audit, nonces, limits: options.limits, notificationPollMs: 50, accessRecheckMs: 200})
  await app.listen({host: '127.0.0.1', port: 0})
  cleanups.push(() => app.close())
  const endpoint = `http://127.0.0.1:${(app.server.address() as {port: number}).port}`
  const target = {endpoint, audience: world.provider.account.address, chainId: world.chain.chain.id, registrar: world.registrar, relationship}
  return {world, relationship, store, auditPath, rpc, chain, endpoint, target}
}

async function signedRecordsRequest(gk: Gatekeeper, account: LocalAccount, overrides: {body?: Buffer; path?: string; chainId?: number; registrar?: Address; audience?: Address; relationship?: Address; scope?: bigint; now?: Date; lifetimeSeconds?: number; action?: 'read' | 'subscribe'} = {}) {
  const body = overrides.body ?? Buffer.from('{}')
  const path = overrides.path ?? '/v1/records'
  const signed = await signGatekeeperRequest({
    account,
    chainId: overrides.chainId ?? gk.target.chainId,
    registrar: overrides.registrar ?? gk.target.registrar,
    audience: overrides.audience ?? gk.target.audience,
    relationship: overrides.relationship ?? gk.relationship,
    action: overrides.action ?? 'read',
    scope: overrides.scope ?? scopeForResourceTypes(undefined),
    method: 'POST',
    path,
    body,
    now: overrides.now,
    lifetimeSeconds: overrides.lifetimeSeconds,
  })
  return {headers: {...signed.headers, 'content-type': 'application/json'} as Record<string, string>, body, path}
}

async function post(gk: Gatekeeper, request: {headers: Record<string, string>; body: Buffer; path: string}): Promise<{status: number; json: unknown; raw: Buffer; contentType: string | undefined}> {
  const response = await fetch(gk.endpoint + request.path, {method: 'POST', headers: request.headers, body: request.body})
  const raw = Buffer.from(await response.arrayBuffer())
  let json: unknown
  try {
    json = JSON.parse(raw.toString('utf8'))
  } catch {
    json = undefined
  }
  return {status: response.status, json, raw, contentType: response.headers.get('content-type') ?? undefined}
}

async function auditLines(gk: Gatekeeper): Promise<Record<string, unknown>[]> {
  const text = await readFile(gk.auditPath, 'utf8')
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)
}

describe('gatekeeper: signed record queries answered only where the chain allows', () => {
  it('answers the patient with its own records, encrypted to its key, and logs the decision with the block it was read at', async () => {
    // Given a gatekeeper for the provider and the patient's accepted relationship
    const gk = await startTestGatekeeper()
    // When the patient asks with a signed request
    const request = await signedRecordsRequest(gk, gk.world.patient.account)
    const response = await post(gk, request)
    // Then the answer is ciphertext (nothing in between sees a record) that only the patient's key opens
    expect(response.status).toBe(200)
    expect(response.contentType).toBe('application/vnd.medrec.ecies')
    expect(response.raw.toString('latin1')).not.toContain('HbA1c')
    const payload = JSON.parse(Buffer.from(decryptWithPrivateKey(privateKeyOf(gk.world.patient.account), response.raw)).toString('utf8'))
    expect(payload.records.map((r: {resourceId: string}) => r.resourceId)).toEqual(['c1', 'o1', 'p1'])
    expect(payload.records.find((r: {resourceId: string}) => r.resourceId === 'p1').resource.name[0].family).toBe("O'Brien")
    // And the decision is logged with the block it was read at, without any record content
    const [entry] = await auditLines(gk)
    expect(entry).toMatchObject({outcome: 'allowed', reason: 'ok', requester: gk.world.patient.account.address, relationship: gk.relationship, action: 'records.read', nonce: expect.stringMatching(/^0x/), signatureHash: expect.stringMatching(/^0x/)})
    expect(entry!.block).toEqual({number: payload.block.number, hash: payload.block.hash})
    expect(JSON.stringify(entry)).not.toContain('HbA1c')
    expect(await verifyAuditLog(gk.auditPath)).toMatchObject({ok: true, entries: 1})
    // And the client library does the same round trip
    const viaClient = await fetchRecords({...gk.target, privateKey: privateKeyOf(gk.world.patient.account), resourceTypes: ['Observation']})
    expect(viaClient).toMatchObject({status: 'ok', records: [{resourceType: 'Observation', resourceId: 'o1'}]})
  })

  it('refuses a replayed request, and every other refusal, with the same 403 body', async () => {
    const gk = await startTestGatekeeper()
    const patient = gk.world.patient.account
    const request = await signedRecordsRequest(gk, patient)
    expect((await post(gk, request)).status).toBe(200)
    const cases: [string, Awaited<ReturnType<typeof post>>][] = []
    cases.push(['replay', await post(gk, request)])
    cases.push(['expired', await post(gk, await signedRecordsRequest(gk, patient, {now: new Date(Date.now() - 600_000)}))])
    cases.push(['expiring too far ahead', await post(gk, await signedRecordsRequest(gk, patient, {lifetimeSeconds: 3600}))])
    cases.push(['wrong chain id', await post(gk, await signedRecordsRequest(gk, patient, {chainId: gk.target.chainId + 1}))])
    cases.push(['wrong verifying contract', await post(gk, await signedRecordsRequest(gk, patient, {registrar: gk.world.relationshipImplementation}))])
    cases.push(['wrong audience', await post(gk, await signedRecordsRequest(gk, patient, {audience: gk.world.otherProvider.account.address}))])
    cases.push(['subscribe signature used to read', await post(gk, await signedRecordsRequest(gk, patient, {action: 'subscribe'}))])
    const good = await signedRecordsRequest(gk, patient)
    cases.push(['body changed after signing', await post(gk, {...good, body: Buffer.from('{"limit":1}')})])
    const good2 = await signedRecordsRequest(gk, patient, {path: '/v1/records?x=1'})
    cases.push(['path changed after signing', await post(gk, {...good2, path: '/v1/records?x=2'})])
    const good3 = await signedRecordsRequest(gk, patient)
    cases.push(['high-s (malleable) signature', await post(gk, {...good3, headers: {...good3.headers, 'medrec-signature': malleate(good3.headers['medrec-signature'] as Hex).highS}})])
    const sig = good3.headers['medrec-signature']!
    cases.push(['bad v', await post(gk, {...good3, headers: {...good3.headers, 'medrec-signature': `${sig.slice(0, 130)}1d`}})])
    cases.push(['64-byte signature', await post(gk, {...good3, headers: {...good3.headers, 'medrec-signature': sig.slice(0, 130)}})])
    cases.push(['no signature', await post(gk, {...good3, headers: {'content-type': 'application/json'}})])
    // Unknown or unentitled requesters: nobody learns who exists
    cases.push(['unregistered requester', await post(gk, await signedRecordsRequest(gk, gk.world.stranger))])
    cases.push(['another patient', await post(gk, await signedRecordsRequest(gk, gk.world.otherPatient.account))])
    cases.push(['unknown relationship', await post(gk, await signedRecordsRequest(gk, patient, {relationship: '0x000000000000000000000000000000000000dEaD'}))])
    const elsewhere = await proposeRelationship(gk.world, gk.world.otherProvider, gk.world.otherPatient)
    await eventuallyHead(gk, (await gk.world.registrarSend(gk.world.otherPatient.account, 'accept', [elsewhere])).blockNumber)
    cases.push(["another provider's relationship", await post(gk, await signedRecordsRequest(gk, gk.world.otherPatient.account, {relationship: elsewhere}))])
    for (const [name, response] of cases) {
      expect({name, status: response.status, json: response.json}).toEqual({name, status: 403, json: forbidden})
    }
    const reasons = (await auditLines(gk)).slice(1).map((e) => e.reason)
    expect(reasons).toEqual(['replay', 'expired', 'expiry-too-far', 'bad-signature', 'bad-signature', 'wrong-audience', 'wrong-action', 'bad-signature', 'bad-signature', 'high-s', 'bad-signature-v', 'malformed-signature', 'missing-auth', 'not-permitted', 'not-permitted', 'not-permitted', 'other-steward'])
    expect(await verifyAuditLog(gk.auditPath)).toMatchObject({ok: true, entries: cases.length + 1})
  })

  it('lets a viewer read within its scope, and refuses it from the block its grant is revoked in', async () => {
    const gk = await startTestGatekeeper()
    const viewer = gk.world.viewer
    const expiry = BigInt(Math.floor(Date.now() / 1000) + 3600)
    // (The gatekeeper decides at the newest block it has seen: wait until it has seen the grant.)
    await eventuallyHead(gk, (await gk.world.registrarSend(gk.world.patient.account, 'grantViewer', [gk.relationship, viewer.address, resourceScopeBits.Observation!, expiry])).blockNumber)
    // Within its scope: only Observations come back
    const asked = await fetchRecords({...gk.target, privateKey: privateKeyOf(viewer), resourceTypes: ['Observation']})
    expect(asked).toMatchObject({status: 'ok', records: [{resourceType: 'Observation'}]})
    // Beyond it: refused
    expect(await fetchRecords({...gk.target, privateKey: privateKeyOf(viewer), resourceTypes: ['Condition']})).toMatchObject({status: 'refused', httpStatus: 403})
    expect(await fetchRecords({...gk.target, privateKey: privateKeyOf(viewer)})).toMatchObject({status: 'refused'})
    // When the patient revokes, from the block that holds the revocation on, the viewer is refused
    const receipt = await gk.world.registrarSend(gk.world.patient.account, 'revokeViewer', [gk.relationship, viewer.address])
    await eventuallyHead(gk, receipt.blockNumber)
    expect(await fetchRecords({...gk.target, privateKey: privateKeyOf(viewer), resourceTypes: ['Observation']})).toMatchObject({status: 'refused'})
    const last = (await auditLines(gk)).at(-1)!
    expect(last).toMatchObject({outcome: 'denied', reason: 'not-permitted'})
    expect(BigInt((last.block as {number: string}).number)).toBeGreaterThanOrEqual(receipt.blockNumber)
  })

  it('refuses oversized, deeply nested and malformed bodies before any signature work', async () => {
    const gk = await startTestGatekeeper()
    const patient = gk.world.patient.account
    const big = await signedRecordsRequest(gk, patient, {body: Buffer.from(JSON.stringify({resourceTypes: ['Observation'], pad: 'x'.repeat(20_000)}))})
    expect((await post(gk, big)).status).toBe(413)
    const deep = await signedRecordsRequest(gk, patient, {body: Buffer.from('['.repeat(5000) + ']'.repeat(5000))})
    expect(await post(gk, deep)).toMatchObject({status: 400, json: {error: 'too-deep'}})
    const notJson = await signedRecordsRequest(gk, patient, {body: Buffer.from('{"resourceTypes": [')})
    expect(await post(gk, notJson)).toMatchObject({status: 400, json: {error: 'bad-json'}})
    // SQL through a parameter is refused by validation, and stored quotes come back literally (above)
    const injection = await signedRecordsRequest(gk, patient, {body: Buffer.from(JSON.stringify({resourceTypes: ["Observation'; DROP TABLE records;--"]}))})
    expect(await post(gk, injection)).toMatchObject({status: 400, json: {error: 'bad-request'}})
    // None of these reached the signature check, so none was logged as a decision
    await expect(readFile(gk.auditPath, 'utf8')).resolves.toBe('')
    // And the store is intact
    expect(await gk.store.query({patient: gk.world.patient.id})).toHaveLength(3)
  })

  it('cuts off a client that sends its request too slowly, and keeps serving others', async () => {
    const gk = await startTestGatekeeper({limits: {requestTimeoutMs: 1000}})
    const {port} = new URL(gk.endpoint)
    const started = Date.now()
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write('POST /v1/records HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{'))
      let text = ''
      socket.on('data', (d) => (text += d.toString()))
      socket.on('close', () => resolve(text))
    })
    expect(answer).toMatch(/^HTTP\/1.1 408/)
    expect(Date.now() - started).toBeLessThan(5000)
    expect((await post(gk, await signedRecordsRequest(gk, gk.world.patient.account))).status).toBe(200)
  })

  it('answers 503 and denies while the RPC node is down, stays up, and serves again when it returns', async () => {
    const gk = await startTestGatekeeper()
    gk.rpc.down = true
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const refused = await post(gk, await signedRecordsRequest(gk, gk.world.patient.account))
    expect(refused).toMatchObject({status: 503, json: {error: 'unavailable'}})
    expect((await fetch(`${gk.endpoint}/v1/health`)).status).toBe(503)
    expect((await auditLines(gk)).at(-1)).toMatchObject({outcome: 'denied', reason: 'chain-unavailable', block: null})
    gk.rpc.down = false
    await eventuallyHealthy(gk)
    expect((await post(gk, await signedRecordsRequest(gk, gk.world.patient.account))).status).toBe(200)
  })

  it('denies when the audit log cannot be written', async () => {
    // Given an audit log whose writes fail (the device is full)
    const gk = await startTestGatekeeper({
      auditPath: async (dir) => {
        const path = join(dir, 'audit.log')
        await symlink('/dev/full', path)
        return path
      },
    })
    const response = await post(gk, await signedRecordsRequest(gk, gk.world.patient.account))
    expect(response).toMatchObject({status: 503, json: {error: 'unavailable'}})
    expect(response.raw.toString()).not.toContain('HbA1c')
  })

  it('tells the subscribed patient when one of its records changes, without a transaction, and no one else', async () => {
    const gk = await startTestGatekeeper()
    const stream = await subscribeNotifications({...gk.target, privateKey: privateKeyOf(gk.world.patient.account)})
    cleanups.push(async () => stream.close())
    const events = stream.events
    expect((await events.next()).value).toMatchObject({event: 'ready'})
    const headBefore = await gk.world.chain.publicClient.getBlockNumber({cacheTime: 0})
    await gk.store.putMany(gk.world.otherPatient.id, [{resourceType: 'Observation', id: 'other', code: {text: 'changed, not yours'}}])
    await gk.store.putMany(gk.world.patient.id, [{resourceType: 'Observation', id: 'o1', code: {text: 'HbA1c'}, valueQuantity: {value: 6.4}}])
    const changed = (await events.next()).value
    expect(changed).toMatchObject({event: 'record-changed', data: {relationship: gk.relationship, resourceType: 'Observation', resourceId: 'o1', version: 2}})
    // The event names what changed, never its content
    expect(Object.keys(changed!.data).sort()).toEqual(['relationship', 'resourceId', 'resourceType', 'updatedAt', 'version'])
    expect(await gk.world.chain.publicClient.getBlockNumber({cacheTime: 0})).toBe(headBefore)
    // A viewer or a stranger cannot subscribe
    const expiry = BigInt(Math.floor(Date.now() / 1000) + 3600)
    await eventuallyHead(gk, (await gk.world.registrarSend(gk.world.patient.account, 'grantViewer', [gk.relationship, gk.world.viewer.address, resourceScopeBits.Observation!, expiry])).blockNumber)
    await expect(subscribeNotifications({...gk.target, privateKey: privateKeyOf(gk.world.viewer)})).rejects.toThrow(/403/)
    await expect(subscribeNotifications({...gk.target, privateKey: privateKeyOf(gk.world.stranger)})).rejects.toThrow(/403/)
    // When the patient ends the relationship, the stream is closed
    await gk.world.registrarSend(gk.world.patient.account, 'end', [gk.relationship])
    expect((await events.next()).value).toMatchObject({event: 'access-ended'})
  })
})

describe.skipIf(!postgres.ok)('gatekeeper over a PostgreSQL store', () => {
  it('answers the patient from PostgreSQL and notifies it of a change written there', async () => {
    // Given a gatekeeper whose store is a schema of its own on a real PostgreSQL server
    const url = postgres.ok ? postgres.url : ''
    const schema = `medrec_gk_${randomBytes(6).toString('hex')}`
    cleanups.push(() => dropPostgresSchema(url, schema))
    const gk = await startTestGatekeeper({store: () => openPostgresRecordStore(url, {schema})})
    const stream = await subscribeNotifications({...gk.target, privateKey: privateKeyOf(gk.world.patient.account)})
    cleanups.push(async () => stream.close())
    expect((await stream.events.next()).value).toMatchObject({event: 'ready'})
    // When the patient reads, Then the records come from PostgreSQL
    const result = await fetchRecords({...gk.target, privateKey: privateKeyOf(gk.world.patient.account)})
    expect(result).toMatchObject({status: 'ok'})
    expect(result.status === 'ok' && result.records.map((r) => r.resourceId)).toEqual(['c1', 'o1', 'p1'])
    // And a change written to PostgreSQL by another connection reaches the subscriber
    const writer = await openPostgresRecordStore(url, {schema})
    cleanups.push(() => writer.close())
    await writer.putMany(gk.world.patient.id, [{resourceType: 'Condition', id: 'c1', code: {text: 'Type 2 diabetes, controlled'}}])
    expect((await stream.events.next()).value).toMatchObject({event: 'record-changed', data: {resourceType: 'Condition', resourceId: 'c1', version: 2}})
  })
})

async function eventuallyHead(gk: Gatekeeper, block: bigint): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (gk.chain.latest().number >= block) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`the gatekeeper never saw block ${block}`)
}

async function eventuallyHealthy(gk: Gatekeeper): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await fetch(`${gk.endpoint}/v1/health`)).status === 200) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error('the gatekeeper did not recover')
}

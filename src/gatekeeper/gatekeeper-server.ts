import {createServer as createHttpServer, type IncomingMessage, type ServerResponse} from 'node:http'
import {createServer as createHttpsServer} from 'node:https'

import Fastify, {type FastifyInstance, type FastifyReply, type FastifyRequest} from 'fastify'
import type {Address, Hex} from 'viem'

import type {AuditLog} from './audit-log.js'
import {ChainUnavailableError, type BlockRef, type ChainAccess} from './chain-access.js'
import {fhirResourceTypePattern} from './fhir-bundle.js'
import {jsonNestingExceeds} from './json-limits.js'
import type {NonceRegistry} from './nonce-registry.js'
import {encryptForPublicKey, encryptedResponseContentType} from './payload-encryption.js'
import type {RecordStore} from './record-store.js'
import {scopeCovers, scopeForResourceTypes} from './resource-scope.js'
import {RecordChangeFeed} from './record-change-feed.js'
import {verifyGatekeeperRequest, type VerifiedRequest} from './verify-request.js'

export type GatekeeperLimits = {
  /** Largest request body accepted (bytes). */
  bodyBytes: number
  /** Deepest JSON nesting accepted in a body. */
  jsonDepth: number
  /** A client must send its whole request within this time (slow clients are cut off). */
  requestTimeoutMs: number
  /** How far ahead a signed request may expire. */
  maxLifetimeSeconds: number
  /** Most records one answer carries. */
  maxRecords: number
}

export const defaultGatekeeperLimits: GatekeeperLimits = {bodyBytes: 16 * 1024, jsonDepth: 8, requestTimeoutMs: 5000, maxLifetimeSeconds: 300, maxRecords: 1000}

export type GatekeeperServerOptions = {
  chainId: number
  registrar: Address
  /** The provider account this gatekeeper answers for: requests must name it as audience. */
  audience: Address
  chain: ChainAccess
  store: RecordStore
  audit: AuditLog
  nonces: NonceRegistry
  tls?: {cert: Buffer; key: Buffer}
  limits?: Partial<GatekeeperLimits>
  /** How often subscribers' streams look for changed records, and re-check their access. */
  notificationPollMs?: number
  accessRecheckMs?: number
}

/** The one body every refusal gets, whatever the reason, so nobody learns who exists. */
const forbiddenBody = JSON.stringify({error: 'forbidden', message: 'This request is not allowed.'})
const unavailableBody = JSON.stringify({error: 'unavailable', message: 'Access cannot be decided right now; try again later.'})

type RawJsonBody = {raw: Buffer; json: unknown}

/**
 * Builds the gatekeeper's HTTP server (not yet listening). Every data request is an
 * EIP-712 signed request (see verify-request.ts); size, nesting and slowness are refused
 * before any signature work; each decision is appended to the audit log before anything
 * is answered, and when the log cannot be written the request is refused.
 *
 *   POST /v1/records        {"resourceTypes"?: string[], "limit"?: number}  → ECIES-encrypted records
 *   GET  /v1/notifications  server-sent events naming records that changed (the patient only)
 *   GET  /v1/health         {"status", "block"}; no data, no signature
 */
export async function buildGatekeeperServer(options: GatekeeperServerOptions): Promise<FastifyInstance> {
  const limits = {...defaultGatekeeperLimits, ...options.limits}
  const serverOptions = {requestTimeout: limits.requestTimeoutMs, headersTimeout: limits.requestTimeoutMs, connectionsCheckingInterval: Math.min(1000, limits.requestTimeoutMs), keepAliveTimeout: 5000}
  const app = Fastify({
    bodyLimit: limits.bodyBytes,
    logger: false,
    // Notification streams never end by themselves: closing the server must cut them.
    forceCloseConnections: true,
    // The request timeouts must be set when the server is created to take effect.
    serverFactory: (handler) =>
      options.tls
        ? createHttpsServer({...serverOptions, cert: options.tls.cert, key: options.tls.key}, handler as (req: IncomingMessage, res: ServerResponse) => void)
        : createHttpServer(serverOptions, handler as (req: IncomingMessage, res: ServerResponse) => void),
  })
  const feed = new RecordChangeFeed(options.store, options.notificationPollMs ?? 500)
  app.addHook('onClose', async () => feed.stop())

  // Keep the exact bytes: the signature covers them. Depth is checked before JSON.parse.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', {parseAs: 'buffer'}, (_request, body, done) => {
    const raw = body as Buffer
    if (jsonNestingExceeds(raw, limits.jsonDepth)) return done(httpError(400, 'too-deep', `JSON nested deeper than ${limits.jsonDepth} levels is refused.`), undefined)
    try {
      done(null, {raw, json: raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'))} satisfies RawJsonBody)
    } catch {
      done(httpError(400, 'bad-json', 'The body is not JSON.'), undefined)
    }
  })
  app.setErrorHandler((error: {statusCode?: number; code?: string; message: string; publicCode?: string}, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500
    const code = error.publicCode ?? (status === 413 ? 'too-large' : status === 415 ? 'unsupported-media-type' : status === 500 ? 'internal' : 'bad-request')
    void reply.code(status).type('application/json').send(JSON.stringify({error: code, message: status === 500 ? 'Internal error.' : error.message}))
  })
  app.setNotFoundHandler((_request, reply) => void reply.code(404).type('application/json').send(JSON.stringify({error: 'not-found', message: 'No such endpoint.'})))

  const context = {options, limits}

  app.get('/v1/health', async (_request, reply) => {
    try {
      const block = options.chain.latest()
      return reply.type('application/json').send(JSON.stringify({status: 'ok', block: {number: block.number.toString(), hash: block.hash}}))
    } catch {
      return reply.code(503).type('application/json').send(JSON.stringify({status: 'unavailable', block: null}))
    }
  })

  app.post('/v1/records', async (request, reply) => {
    const body = request.body as RawJsonBody | undefined
    if (!body) return reply.code(415).type('application/json').send(JSON.stringify({error: 'unsupported-media-type', message: 'Send the query as application/json.'}))
    const query = parseRecordsQuery(body.json, limits.maxRecords)
    if (typeof query === 'string') return reply.code(400).type('application/json').send(JSON.stringify({error: 'bad-request', message: query}))

    const verdict = await authorise(context, request, body.raw, 'read', 'records.read', false, (scope) => {
      // What is asked for must lie within what was signed (and so within what canAccess checked).
      const asked = scopeForResourceTypes(query.resourceTypes)
      return (asked & scope) === asked
    })
    if (!verdict.ok) return refuse(reply, verdict.status)
    let records
    try {
      records = await options.store.query({patient: verdict.patient, resourceTypes: query.resourceTypes, limit: query.limit})
    } catch {
      return refuse(reply, 503)
    }
    const visible = records.filter((r) => scopeCovers(verdict.request.request.scope, r.resourceType))
    const payload = JSON.stringify({
      relationship: verdict.request.request.relationship,
      block: {number: verdict.block.number.toString(), hash: verdict.block.hash},
      records: visible.map((r) => ({resourceType: r.resourceType, resourceId: r.resourceId, version: r.version, updatedAt: r.updatedAt, seq: r.seq, resource: r.resource})),
    })
    return reply
      .type(encryptedResponseContentType)
      .header('cache-control', 'no-store')
      .header('medrec-block', verdict.block.number.toString())
      .send(Buffer.from(encryptForPublicKey(verdict.request.publicKey, Buffer.from(payload))))
  })

  app.get('/v1/notifications', async (request, reply) => {
    const verdict = await authorise(context, request, Buffer.alloc(0), 'subscribe', 'notifications.subscribe', true, () => true)
    if (!verdict.ok) return refuse(reply, verdict.status)
    const {relationship, requester, scope} = verdict.request.request
    reply.hijack()
    const raw = reply.raw
    raw.writeHead(200, {'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no'})
    raw.write(`event: ready\ndata: ${JSON.stringify({relationship, block: verdict.block.number.toString()})}\n\n`)
    let closed = false
    const close = (event?: string) => {
      if (closed) return
      closed = true
      unsubscribe()
      clearInterval(recheck)
      clearInterval(heartbeat)
      if (event) raw.end(`event: ${event}\ndata: {}\n\n`)
      else raw.end()
    }
    const unsubscribe = feed.subscribe(verdict.patient, (change) => {
      raw.write(`id: ${change.seq}\nevent: record-changed\ndata: ${JSON.stringify({relationship, resourceType: change.resourceType, resourceId: change.resourceId, version: change.version, updatedAt: change.updatedAt})}\n\n`)
    })
    // A stream lives only as long as the permission: re-asked at the latest block.
    const recheck = setInterval(() => {
      options.chain
        .decide({relationship, requester, scope, patientOnly: true})
        .then((decision) => {
          if (!decision.allowed) close('access-ended')
        })
        .catch(() => close('unavailable'))
    }, options.accessRecheckMs ?? 2000)
    const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), 15_000)
    raw.on('close', () => close())
  })

  return app
}

type Verdict =
  | {ok: true; request: VerifiedRequest; patient: Hex; block: BlockRef}
  | {ok: false; status: 403 | 503}

/**
 * Verifies the signature, spends the nonce, asks the chain and writes the decision to
 * the audit log. Only an allowed decision that was logged comes back ok.
 */
async function authorise(
  context: {options: GatekeeperServerOptions; limits: GatekeeperLimits},
  request: FastifyRequest,
  rawBody: Buffer,
  action: 'read' | 'subscribe',
  auditAction: string,
  patientOnly: boolean,
  scopeFits: (scope: bigint) => boolean,
): Promise<Verdict> {
  const {options, limits} = context
  const time = new Date()
  const verified = await verifyGatekeeperRequest({
    headers: request.headers,
    method: request.method,
    path: request.url,
    body: rawBody,
    chainId: options.chainId,
    registrar: options.registrar,
    audience: options.audience,
    now: time,
    maxLifetimeSeconds: limits.maxLifetimeSeconds,
  })
  const base = {time: time.toISOString(), action: auditAction}
  const log = async (outcome: 'allowed' | 'denied', reason: string, block: BlockRef | null, status: 403 | 503): Promise<Verdict | undefined> => {
    try {
      await options.audit.append({
        ...base,
        requester: verified.ok ? verified.request.requester : null,
        relationship: verified.ok ? verified.request.relationship : null,
        outcome,
        reason,
        block: block ? {number: block.number.toString(), hash: block.hash} : null,
        nonce: verified.ok ? verified.request.nonce : null,
        signatureHash: verified.ok ? verified.signatureHash : null,
      })
    } catch {
      return {ok: false, status: 503}
    }
    return outcome === 'allowed' ? undefined : {ok: false, status}
  }

  if (!verified.ok) return (await log('denied', verified.reason, null, 403))!
  const signed = verified.request
  if (signed.action !== action) return (await log('denied', 'wrong-action', null, 403))!
  if (!scopeFits(signed.scope)) return (await log('denied', 'scope-exceeds-signed', null, 403))!
  if (!options.nonces.claim(signed.requester, signed.nonce, signed.expiry)) {
    const full = options.nonces.size >= options.nonces.capacity
    return (await log('denied', full ? 'nonce-registry-full' : 'replay', null, full ? 503 : 403))!
  }
  let decision
  try {
    decision = await options.chain.decide({relationship: signed.relationship, requester: signed.requester, scope: signed.scope, patientOnly})
  } catch (error) {
    if (!(error instanceof ChainUnavailableError)) throw error
    return (await log('denied', 'chain-unavailable', null, 503))!
  }
  if (!decision.allowed) return (await log('denied', decision.reason, decision.block, 403))!
  const failed = await log('allowed', 'ok', decision.block, 403)
  if (failed) return failed
  return {ok: true, request: verified, patient: decision.patient, block: decision.block}
}

function refuse(reply: FastifyReply, status: 403 | 503): FastifyReply {
  return reply.code(status).type('application/json').header('cache-control', 'no-store').send(status === 403 ? forbiddenBody : unavailableBody)
}

function parseRecordsQuery(json: unknown, maxRecords: number): {resourceTypes?: string[]; limit: number} | string {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return 'The body must be a JSON object.'
  const {resourceTypes, limit, ...rest} = json as Record<string, unknown>
  if (Object.keys(rest).length > 0) return `Unknown fields: ${Object.keys(rest).join(', ')}.`
  if (resourceTypes !== undefined && (!Array.isArray(resourceTypes) || resourceTypes.length > 64 || !resourceTypes.every((t) => typeof t === 'string' && fhirResourceTypePattern.test(t)))) {
    return 'resourceTypes must be a list of at most 64 FHIR resource type names.'
  }
  if (limit !== undefined && (!Number.isSafeInteger(limit) || (limit as number) < 1 || (limit as number) > maxRecords)) return `limit must be a whole number from 1 to ${maxRecords}.`
  return {...(resourceTypes === undefined ? {} : {resourceTypes: resourceTypes as string[]}), limit: (limit as number | undefined) ?? maxRecords}
}

function httpError(statusCode: number, publicCode: string, message: string): Error {
  return Object.assign(new Error(message), {statusCode, publicCode})
}

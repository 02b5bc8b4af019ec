import {createServer as createHttpServer, type IncomingMessage, type ServerResponse} from 'node:http'
import {createServer as createHttpsServer} from 'node:https'

import Fastify, {type FastifyInstance, type FastifyReply, type FastifyRequest} from 'fastify'
import type {Address, Hex} from 'viem'

import type {AuditEntryInput, AuditLog} from './audit-log.js'
import {ChainUnavailableError, type AccessDecision, type BlockRef, type ChainAccess} from './chain-access.js'
import {fhirResourceTypePattern} from './fhir-bundle.js'
import {jsonNestingExceeds} from './json-limits.js'
import type {NonceRegistry} from './nonce-registry.js'
import {encryptForPublicKey} from '../keys/ecies.js'
import {encryptedResponseContentType} from './payload-encryption.js'
import type {RecordStore, StoredRecord} from './record-store.js'
import {RefusalAudit} from './refusal-audit.js'
import {sourceAddressKey, TokenBuckets, type RateLimit} from './request-quotas.js'
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
  /** Requests per verified requester (charged only once its signature checks out, so nobody can spend another's). */
  requesterQuota: RateLimit
  /** Requests per source address (an IPv6 source per /64), charged before any signature work. */
  sourceQuota: RateLimit
  /** Most requesters, and most source addresses, whose quota is tracked at once (least recently seen go first). */
  quotaEntries: number
  /** Refusals of anonymous requests that still get a line each; the rest are counted (refusal-audit.ts). */
  refusalLines: RateLimit
  /** How often counted refusals are written to the audit log, one summary line per reason. */
  refusalSummaryMs: number
}

export const defaultGatekeeperLimits: GatekeeperLimits = {
  bodyBytes: 16 * 1024,
  jsonDepth: 8,
  requestTimeoutMs: 5000,
  maxLifetimeSeconds: 300,
  maxRecords: 1000,
  // A patient's sync asks once per relationship; a provider reading as a viewer for many
  // patients asks more: 50/s each, with room for a burst of 100.
  requesterQuota: {perSecond: 50, burst: 100},
  // Several participants may share one address (a hospital behind NAT): twice one requester's.
  sourceQuota: {perSecond: 100, burst: 200},
  quotaEntries: 100_000,
  // One line each for a probe's first 50 attempts, then one every 10 s; the rest are counted.
  refusalLines: {perSecond: 0.1, burst: 50},
  refusalSummaryMs: 60_000,
}

/** Requesters this gatekeeper has allowed or the chain knows, remembered for logging (bounded). */
const knownRequestersKept = 100_000

export type GatekeeperServerOptions = {
  chainId: number
  registrar: Address
  /**
   * The chain, and through it the provider account this gatekeeper answers for (read at
   * every new head, so a rotation is followed): requests must name it as audience.
   */
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
const unavailableBody = JSON.stringify({
  error: 'unavailable',
  message: 'Access cannot be decided right now; try again later.',
})
const tooManyBody = JSON.stringify({error: 'too-many-requests', message: 'Too many requests; slow down and try again.'})

type RawJsonBody = {raw: Buffer; json: unknown}

/**
 * Builds the gatekeeper's HTTP server (not yet listening). Every data request is an
 * EIP-712 signed request (see verify-request.ts); size, nesting and slowness are refused
 * before any signature work; each decision is appended to the audit log before anything
 * is answered, and when the log cannot be written the request is refused.
 *
 * Strangers cannot crowd out participants: a source address over its quota is refused
 * (429) before any signature work, a verified requester over its own quota likewise; a
 * nonce is spent only by an allowed request, so refused ones cannot fill the nonce
 * registry; and refusals of anonymous requests are counted in summary lines instead of
 * one line each (see RefusalAudit), so they cannot fill the disk either.
 *
 *   POST /v1/records        {"resourceTypes"?: string[], "limit"?: number}  → ECIES-encrypted records
 *   GET  /v1/notifications  server-sent events naming records that changed (the patient only)
 *   GET  /v1/health         {"status", "block"}; no data, no signature
 */
export async function buildGatekeeperServer(options: GatekeeperServerOptions): Promise<FastifyInstance> {
  const limits = {...defaultGatekeeperLimits, ...options.limits}
  const serverOptions = {
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, limits.requestTimeoutMs),
    keepAliveTimeout: 5000,
  }
  const app = Fastify({
    bodyLimit: limits.bodyBytes,
    logger: false,
    // Notification streams never end by themselves: closing the server must cut them.
    forceCloseConnections: true,
    // The request timeouts must be set when the server is created to take effect.
    serverFactory: (handler) =>
      options.tls
        ? createHttpsServer(
            {...serverOptions, cert: options.tls.cert, key: options.tls.key},
            handler as (req: IncomingMessage, res: ServerResponse) => void,
          )
        : createHttpServer(serverOptions, handler as (req: IncomingMessage, res: ServerResponse) => void),
  })
  const feed = new RecordChangeFeed(options.store, options.notificationPollMs ?? 500)
  app.addHook('onClose', async () => feed.stop())

  // Keep the exact bytes: the signature covers them. Depth is checked before JSON.parse.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', {parseAs: 'buffer'}, (_request, body, done) => {
    const raw = body as Buffer
    if (jsonNestingExceeds(raw, limits.jsonDepth))
      return done(
        httpError(400, 'too-deep', `JSON nested deeper than ${limits.jsonDepth} levels is refused.`),
        undefined,
      )
    try {
      done(null, {raw, json: raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'))} satisfies RawJsonBody)
    } catch {
      done(httpError(400, 'bad-json', 'The body is not JSON.'), undefined)
    }
  })
  app.setErrorHandler(
    (error: {statusCode?: number; code?: string; message: string; publicCode?: string}, _request, reply) => {
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500
      const code =
        error.publicCode ??
        (status === 413
          ? 'too-large'
          : status === 415
            ? 'unsupported-media-type'
            : status === 500
              ? 'internal'
              : 'bad-request')
      void reply
        .code(status)
        .type('application/json')
        .send(JSON.stringify({error: code, message: status === 500 ? 'Internal error.' : error.message}))
    },
  )
  app.setNotFoundHandler(
    (_request, reply) =>
      void reply
        .code(404)
        .type('application/json')
        .send(JSON.stringify({error: 'not-found', message: 'No such endpoint.'})),
  )

  const refusals = new RefusalAudit(options.audit, {
    lines: limits.refusalLines,
    summaryIntervalMs: limits.refusalSummaryMs,
  })
  // app.close() waits for it: the last counts are written before the caller closes the audit log.
  app.addHook('onClose', async () => refusals.close())
  const context: AuthoriseContext = {
    options,
    limits,
    refusals,
    requesterQuota: new TokenBuckets({...limits.requesterQuota, maxEntries: limits.quotaEntries}),
    known: new BoundedSet(knownRequestersKept),
  }
  const sourceQuota = new TokenBuckets({...limits.sourceQuota, maxEntries: limits.quotaEntries})
  // Before the body is read or any signature checked: the cheapest refusal there is.
  const checkSourceQuota = (auditAction: string) => async (request: FastifyRequest, reply: FastifyReply) => {
    if (sourceQuota.take(sourceAddressKey(request.socket.remoteAddress))) return
    await refusals.record(anonymousRefusal(auditAction, 'source-quota')).catch(() => undefined)
    return refuse(reply, 429)
  }

  app.get('/v1/health', async (_request, reply) => {
    const health = options.chain.health()
    if (health.ok && options.chain.providerAccount() !== undefined) {
      const block = {number: health.block.number.toString(), hash: health.block.hash}
      const headAgeSeconds = Math.round(health.headAgeMs / 1000)
      return reply.type('application/json').send(JSON.stringify({status: 'ok', block, headAgeSeconds}))
    }
    // Says why, so an operator can tell a silent node from one that no longer receives blocks.
    const [reason, message] = health.ok
      ? ['no-provider-account', 'The provider has no account on chain (not registered, or removed).']
      : [health.reason, health.message]
    const head = health.ok ? null : health.lastHead
    const lastHead = head && {
      number: head.number.toString(),
      hash: head.hash,
      timestamp: head.timestamp.toString(),
      ageSeconds: Math.round(head.ageMs / 1000),
    }
    const body = JSON.stringify({status: 'unavailable', reason, message, block: null, lastHead})
    return reply.code(503).type('application/json').send(body)
  })

  app.post('/v1/records', {onRequest: checkSourceQuota('records.read')}, async (request, reply) => {
    const body = request.body as RawJsonBody | undefined
    if (!body)
      return reply
        .code(415)
        .type('application/json')
        .send(JSON.stringify({error: 'unsupported-media-type', message: 'Send the query as application/json.'}))
    const query = parseRecordsQuery(body.json, limits.maxRecords)
    if (typeof query === 'string')
      return reply
        .code(400)
        .type('application/json')
        .send(JSON.stringify({error: 'bad-request', message: query}))

    const verdict = await authorise(context, request, body.raw, 'read', 'records.read', false, (scope) => {
      // What is asked for must lie within what was signed (and so within what canAccess checked).
      const asked = scopeForResourceTypes(query.resourceTypes)
      return (asked & scope) === asked
    })
    if (!verdict.ok) return refuse(reply, verdict.status)
    let records: StoredRecord[]
    try {
      records = await options.store.query({
        patient: verdict.patient,
        resourceTypes: query.resourceTypes,
        limit: query.limit,
      })
    } catch {
      return refuse(reply, 503)
    }
    const visible = records.filter((r) => scopeCovers(verdict.request.request.scope, r.resourceType))
    const payload = JSON.stringify({
      relationship: verdict.request.request.relationship,
      block: {number: verdict.block.number.toString(), hash: verdict.block.hash},
      records: visible.map((r) => ({
        resourceType: r.resourceType,
        resourceId: r.resourceId,
        version: r.version,
        updatedAt: r.updatedAt,
        seq: r.seq,
        resource: r.resource,
      })),
    })
    return reply
      .type(encryptedResponseContentType)
      .header('cache-control', 'no-store')
      .header('medrec-block', verdict.block.number.toString())
      .send(Buffer.from(encryptForPublicKey(verdict.request.publicKey, Buffer.from(payload))))
  })

  app.get('/v1/notifications', {onRequest: checkSourceQuota('notifications.subscribe')}, async (request, reply) => {
    const verdict = await authorise(
      context,
      request,
      Buffer.alloc(0),
      'subscribe',
      'notifications.subscribe',
      true,
      () => true,
    )
    if (!verdict.ok) return refuse(reply, verdict.status)
    const {relationship, requester, scope} = verdict.request.request
    reply.hijack()
    const raw = reply.raw
    raw.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    })
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
      const data = JSON.stringify({
        relationship,
        resourceType: change.resourceType,
        resourceId: change.resourceId,
        version: change.version,
        updatedAt: change.updatedAt,
      })
      raw.write(`id: ${change.seq}\nevent: record-changed\ndata: ${data}\n\n`)
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
  | {ok: false; status: 403 | 429 | 503}

type AuthoriseContext = {
  options: GatekeeperServerOptions
  limits: GatekeeperLimits
  refusals: RefusalAudit
  requesterQuota: TokenBuckets
  /** Requesters allowed here before, or known to the chain: their refusals get a line each. */
  known: BoundedSet
}

/**
 * Verifies the signature, asks the chain, spends the nonce and writes the decision to the
 * audit log. Only an allowed decision that was logged comes back ok.
 *
 * The nonce is spent only after the decision allowed the request, synchronously (nothing
 * can interleave between the check and the claim): of two identical requests in flight
 * one is answered, the other refused as a replay, and a refused request spends nothing.
 *
 * What the audit log gets: every allowed request, and every refusal of a requester the
 * chain knows (a registered participant, a viewer holding a grant) or this gatekeeper has
 * allowed before, one line each: a participant refused is exactly what an auditor looks
 * for, participants are few, and each adds lines at no more than its own quota. Refusals
 * of anyone else (failed verification, unknown keys, replays by strangers) and every
 * quota refusal go to RefusalAudit, which logs a few and counts the rest: anybody can
 * make those by the thousand.
 */
async function authorise(
  context: AuthoriseContext,
  request: FastifyRequest,
  rawBody: Buffer,
  action: 'read' | 'subscribe',
  auditAction: string,
  patientOnly: boolean,
  scopeFits: (scope: bigint) => boolean,
): Promise<Verdict> {
  const {options, limits, refusals, known} = context
  const time = new Date()
  const audience = options.chain.providerAccount()
  const verified = audience
    ? await verifyGatekeeperRequest({
        headers: request.headers,
        method: request.method,
        path: request.url,
        body: rawBody,
        chainId: options.chainId,
        registrar: options.registrar,
        audience,
        now: time,
        maxLifetimeSeconds: limits.maxLifetimeSeconds,
      })
    : undefined
  const signed = verified?.ok ? verified : undefined
  const entry = (outcome: 'allowed' | 'denied', reason: string, block: BlockRef | null): AuditEntryInput => ({
    time: time.toISOString(),
    action: auditAction,
    requester: signed?.request.requester ?? null,
    relationship: signed?.request.relationship ?? null,
    outcome,
    reason,
    block: block ? {number: block.number.toString(), hash: block.hash} : null,
    nonce: signed?.request.nonce ?? null,
    signatureHash: signed?.signatureHash ?? null,
    expiry: signed ? signed.request.expiry.toString() : null,
  })
  const refused = async (reason: string, block: BlockRef | null, status: 403 | 429 | 503, knownRequester: boolean) => {
    try {
      if (knownRequester) await options.audit.append(entry('denied', reason, block))
      else await refusals.record(entry('denied', reason, block))
    } catch {
      return {ok: false, status: status === 429 ? 429 : 503} satisfies Verdict
    }
    return {ok: false, status} satisfies Verdict
  }

  if (!verified) return refused('no-provider-account', null, 503, false)
  if (!verified.ok || !signed) return refused(verified.ok ? 'bad-signature' : verified.reason, null, 403, false)
  const {requester, nonce, expiry, scope} = signed.request
  // Charged for every verified request, before anything that may write a line of its own:
  // so even a known participant adds lines at no more than its quota; beyond it, counted.
  if (!context.requesterQuota.take(requester.toLowerCase())) return refused('requester-quota', null, 429, false)
  const knownBefore = known.has(requester)
  if (signed.request.action !== action) return refused('wrong-action', null, 403, knownBefore)
  if (!scopeFits(scope)) return refused('scope-exceeds-signed', null, 403, knownBefore)
  // Cheap and before any chain work; the claim after the decision is what makes it binding.
  if (options.nonces.has(requester, nonce)) return refused('replay', null, 403, knownBefore)
  let decision: AccessDecision
  try {
    decision = await options.chain.decide({relationship: signed.request.relationship, requester, scope, patientOnly})
  } catch (error) {
    if (!(error instanceof ChainUnavailableError)) throw error
    return refused(error.reason === 'head-stale' ? 'chain-head-stale' : 'chain-unavailable', null, 503, knownBefore)
  }
  if (!decision.allowed) {
    if (decision.requesterKnown) known.add(requester)
    return refused(decision.reason, decision.block, 403, knownBefore || decision.requesterKnown)
  }
  if (!options.nonces.claim(requester, nonce, expiry)) {
    const full = options.nonces.size >= options.nonces.capacity
    return refused(full ? 'nonce-registry-full' : 'replay', decision.block, full ? 503 : 403, true)
  }
  known.add(requester)
  try {
    await options.audit.append(entry('allowed', 'ok', decision.block))
  } catch {
    // Not answered, so not used: the same signed request may be tried again.
    options.nonces.release(requester, nonce)
    return {ok: false, status: 503}
  }
  return {ok: true, request: signed, patient: decision.patient, block: decision.block}
}

/** An audit entry for a request refused before anything in it was verified. */
function anonymousRefusal(action: string, reason: string): AuditEntryInput {
  const time = new Date().toISOString()
  const nothing = {requester: null, relationship: null, block: null, nonce: null, signatureHash: null, expiry: null}
  return {time, action, outcome: 'denied', reason, ...nothing}
}

function refuse(reply: FastifyReply, status: 403 | 429 | 503): FastifyReply {
  if (status === 429) reply.header('retry-after', '1')
  return reply
    .code(status)
    .type('application/json')
    .header('cache-control', 'no-store')
    .send(status === 403 ? forbiddenBody : status === 429 ? tooManyBody : unavailableBody)
}

/** A set that keeps only its `capacity` most recently added members. */
class BoundedSet {
  private readonly members = new Map<string, true>()
  private readonly capacity: number

  constructor(capacity: number) {
    this.capacity = capacity
  }

  has(value: string): boolean {
    return this.members.has(value.toLowerCase())
  }

  add(value: string): void {
    const key = value.toLowerCase()
    this.members.delete(key)
    this.members.set(key, true)
    if (this.members.size > this.capacity) this.members.delete(this.members.keys().next().value!)
  }
}

function parseRecordsQuery(json: unknown, maxRecords: number): {resourceTypes?: string[]; limit: number} | string {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return 'The body must be a JSON object.'
  const {resourceTypes, limit, ...rest} = json as Record<string, unknown>
  if (Object.keys(rest).length > 0) return `Unknown fields: ${Object.keys(rest).join(', ')}.`
  if (
    resourceTypes !== undefined &&
    (!Array.isArray(resourceTypes) ||
      resourceTypes.length > 64 ||
      !resourceTypes.every((t) => typeof t === 'string' && fhirResourceTypePattern.test(t)))
  ) {
    return 'resourceTypes must be a list of at most 64 FHIR resource type names.'
  }
  if (limit !== undefined && (!Number.isSafeInteger(limit) || (limit as number) < 1 || (limit as number) > maxRecords))
    return `limit must be a whole number from 1 to ${maxRecords}.`
  return {
    ...(resourceTypes === undefined ? {} : {resourceTypes: resourceTypes as string[]}),
    limit: (limit as number | undefined) ?? maxRecords,
  }
}

function httpError(statusCode: number, publicCode: string, message: string): Error {
  return Object.assign(new Error(message), {statusCode, publicCode})
}

import {createParser, type EventSourceMessage} from 'eventsource-parser'
import {Agent} from 'undici'
import {zeroHash, type Address, type Hex} from 'viem'
import {privateKeyToAccount} from 'viem/accounts'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {parseJson} from '../errors/parse-json.js'
import {decodeEncryptedResponse} from './payload-encryption.js'
import {recordsContentHash} from './records-content-hash.js'
import {scopeForResourceTypes} from './resource-scope.js'
import {signGatekeeperRequest} from './sign-request.js'

/** What the client accepts from a gatekeeper before it gives up on that gatekeeper. */
export type GatekeeperClientLimits = {
  /** Largest records answer, in bytes as sent (encrypted). */
  maxAnswerBytes: number
  /** Largest server-sent event (every line of it together), in bytes. */
  maxEventBytes: number
}

/**
 * 32 MiB holds the server's 1,000 records at up to ~32 KiB each; an event names one
 * changed record in well under 1 KiB.
 */
export const defaultGatekeeperClientLimits: GatekeeperClientLimits = {
  maxAnswerBytes: 32 * 1024 * 1024,
  maxEventBytes: 64 * 1024,
}

/** An error answer only needs its message: anything past this is not read. */
const maxErrorBodyBytes = 64 * 1024

/** Who asks, and which gatekeeper and chain the request is bound to. */
export type GatekeeperTarget = {
  /** The gatekeeper's base URL, from the relationship's pointer. */
  endpoint: string
  /** The steward's (provider's) account: the audience the request is signed for. */
  audience: Address
  chainId: number
  registrar: Address
  relationship: Address
  /** The pointer's content hash (records-content-hash.ts); zero or absent: not checked. */
  contentHash?: Hex
  /** PEM certificate(s) to trust for an https endpoint with a private CA. */
  ca?: Buffer
  timeoutMs?: number
  limits?: Partial<GatekeeperClientLimits>
}

export type FetchedRecord = {
  resourceType: string
  resourceId: string
  version: number
  updatedAt: string
  seq: number
  resource: Record<string, unknown>
}

/**
 * Whether the records were checked against the pointer's content hash: 'verified', or
 * 'not-set' (the pointer commits to no hash), or 'not-checked' (only some types were
 * asked for, so the answer cannot be the whole committed content).
 */
export type ContentCheck = 'verified' | 'not-set' | 'not-checked'

/**
 * Why one gatekeeper gave no records. refused (403), unavailable (503) and unreachable
 * come from the gatekeeper or the network (unreachable also covers a port that fetch
 * will not use, the Fetch standard's "bad ports" such as 6000 or 10080, and any answer
 * other than 200, 403 and 503, a redirect included); the others are the client refusing it:
 * bad-endpoint (not an http(s) URL), insecure-endpoint (plain http off loopback, refused
 * before connecting), answer-too-large, bad-answer (undecryptable, malformed, or for
 * another relationship), content-mismatch (records that do not hash to the pointer's
 * content hash).
 */
export type FetchRecordsFailure =
  | 'refused'
  | 'unavailable'
  | 'unreachable'
  | 'bad-endpoint'
  | 'insecure-endpoint'
  | 'answer-too-large'
  | 'bad-answer'
  | 'content-mismatch'

export type FetchRecordsResult =
  | {
      status: 'ok'
      relationship: Address
      block: {number: string; hash: Hex}
      records: FetchedRecord[]
      content: ContentCheck
    }
  | {status: FetchRecordsFailure; relationship: Address; httpStatus: number | null; message: string}

/**
 * Signs a read of the relationship's records with `account`, sends it, decrypts the
 * answer and checks it. Whatever goes wrong with this one gatekeeper comes back as a
 * status, so a caller asking several reports each beside the others.
 */
export async function fetchRecords(
  target: GatekeeperTarget & {privateKey: Hex; resourceTypes?: string[]},
): Promise<FetchRecordsResult> {
  const limits = {...defaultGatekeeperClientLimits, ...target.limits}
  const failed = (
    status: FetchRecordsFailure,
    message: string,
    httpStatus: number | null = null,
  ): FetchRecordsResult => ({status, relationship: target.relationship, httpStatus, message})
  const endpoint = checkEndpoint(target.endpoint, '/v1/records')
  if ('status' in endpoint) return failed(endpoint.status, endpoint.message)
  const {url} = endpoint
  const body = Buffer.from(JSON.stringify(target.resourceTypes ? {resourceTypes: target.resourceTypes} : {}))
  const headers = await signFor(target, url, {
    action: 'read',
    scope: scopeForResourceTypes(target.resourceTypes),
    method: 'POST',
    body,
  })
  const timeoutMs = target.timeoutMs ?? 15_000
  const agent = gatekeeperAgent(target.ca, timeoutMs, {stream: false})
  let response: {status: number; contentType: string | undefined; body: Buffer}
  try {
    response = await send(url, {
      method: 'POST',
      headers: {...headers, 'content-type': 'application/json'},
      body,
      agent,
      maxBytes: limits.maxAnswerBytes,
    })
  } catch (error) {
    if (error instanceof MedrecError && error.code === errorCodes.GATEKEEPER_ANSWER_TOO_LARGE)
      return failed('answer-too-large', `${url.origin}: ${error.message}`, 200)
    return failed('unreachable', `${url.origin} cannot be reached: ${requestFailure(error, timeoutMs)}`)
  } finally {
    // Every exchange has its own pool: closing it closes the connection, read to the end or not.
    await agent.destroy()
  }
  if (response.status !== 200) {
    const message = parseMessage(response.body)
    return failed(
      response.status === 403 ? 'refused' : response.status === 503 ? 'unavailable' : 'unreachable',
      message,
      response.status,
    )
  }
  let payload: {block: {number: string; hash: Hex}; records: FetchedRecord[]}
  try {
    const plaintext = decodeEncryptedResponse(target.privateKey, {
      contentType: response.contentType,
      body: response.body,
    })
    payload = parseRecordsPayload(Buffer.from(plaintext).toString('utf8'), target.relationship)
  } catch (error) {
    return failed('bad-answer', `${url.origin} sent an answer that cannot be used: ${(error as Error).message}`, 200)
  }
  let content: ContentCheck = 'not-set'
  if (target.contentHash !== undefined && target.contentHash !== zeroHash) {
    if (target.resourceTypes !== undefined) {
      content = 'not-checked'
    } else {
      const actual = recordsContentHash(payload.records.map((r) => r.resource))
      if (actual !== target.contentHash.toLowerCase()) {
        return failed(
          'content-mismatch',
          `${url.origin} served records whose content hash is ${actual}, but the relationship's pointer commits to ` +
            `${target.contentHash}: they are not the records the steward committed (changed since, or cut short).`,
          200,
        )
      }
      content = 'verified'
    }
  }
  return {status: 'ok', relationship: target.relationship, block: payload.block, records: payload.records, content}
}

export type NotificationEvent = {event: string; id: string | null; data: Record<string, unknown>}

/**
 * Subscribes to a gatekeeper's change notifications for one relationship (a signed
 * request, then a server-sent event stream). `events` yields each event until the
 * gatekeeper ends the stream or `close` is called; an event larger than the limit, or
 * whose data is not JSON, ends it with an error (GATEKEEPER_ANSWER_TOO_LARGE or
 * GATEKEEPER_ANSWER_INVALID). An endpoint the client refuses is an error before any
 * connection (GATEKEEPER_ENDPOINT_REFUSED).
 */
export async function subscribeNotifications(
  target: GatekeeperTarget & {privateKey: Hex},
): Promise<{events: AsyncGenerator<NotificationEvent>; close(): void}> {
  const limits = {...defaultGatekeeperClientLimits, ...target.limits}
  const endpoint = checkEndpoint(target.endpoint, '/v1/notifications')
  if ('status' in endpoint)
    throw new MedrecError(errorCodes.GATEKEEPER_ENDPOINT_REFUSED, endpoint.message, {hint: endpoint.hint})
  const {url} = endpoint
  const headers = await signFor(target, url, {
    action: 'subscribe',
    scope: scopeForResourceTypes(undefined),
    method: 'GET',
  })
  const timeoutMs = target.timeoutMs ?? 15_000
  const agent = gatekeeperAgent(target.ca, timeoutMs, {stream: true})
  const closed = new AbortController()
  const close = () => {
    closed.abort()
    void agent.destroy()
  }
  let response: Response
  try {
    response = await fetch(url, {
      method: 'GET',
      headers: {...headers, accept: 'text/event-stream', 'accept-encoding': 'identity'},
      redirect: 'manual',
      signal: closed.signal,
      dispatcher: agent,
    })
  } catch (error) {
    close()
    throw new Error(requestFailure(error, timeoutMs), {cause: error})
  }
  if (response.status !== 200) {
    // The agent does not time out a body on this exchange (the stream's), so the error body gets its own deadline.
    const deadline = setTimeout(() => closed.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
    let body: Buffer
    try {
      body = await readAtMost(response, maxErrorBodyBytes)
    } finally {
      clearTimeout(deadline)
      close()
    }
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      `${url.origin} refused the subscription (HTTP ${response.status}): ${parseMessage(body)}`,
      {hint: "Only the relationship's patient may subscribe, while the relationship is accepted."},
    )
  }
  return {
    events: readEventStream(response, {
      maxEventBytes: limits.maxEventBytes,
      origin: url.origin,
      closed: closed.signal,
      close,
    }),
    close,
  }
}

/** The signed headers for one request to `url` on behalf of the target's requester. */
async function signFor(
  target: GatekeeperTarget & {privateKey: Hex},
  url: URL,
  request: {action: 'read' | 'subscribe'; scope: bigint; method: string; body?: Buffer},
): Promise<Record<string, string>> {
  const {headers} = await signGatekeeperRequest({
    account: privateKeyToAccount(target.privateKey),
    chainId: target.chainId,
    registrar: target.registrar,
    audience: target.audience,
    relationship: target.relationship,
    ...request,
    path: url.pathname + url.search,
  })
  return headers
}

const LF = 0x0a
const CR = 0x0d

/**
 * The events of a server-sent event stream, parsed by eventsource-parser. The size limit is
 * kept on the raw bytes before they reach the parser (the parser's own bound counts
 * characters, and a character can be up to four bytes), one line at a time, so an event
 * is refused at the line that takes it over the limit, after every event before it.
 */
async function* readEventStream(
  response: Response,
  options: {maxEventBytes: number; origin: string; closed: AbortSignal; close(): void},
): AsyncGenerator<NotificationEvent> {
  const {maxEventBytes, origin} = options
  const tooLarge = () =>
    new MedrecError(
      errorCodes.GATEKEEPER_ANSWER_TOO_LARGE,
      `${origin} sent a notification event larger than ${maxEventBytes} bytes; the subscription was closed.`,
      {hint: 'The gatekeeper is misbehaving; tell its provider.'},
    )
  const parsed: EventSourceMessage[] = []
  let parserOverflow = false
  const parser = createParser({
    onEvent: (message) => parsed.push(message),
    onError: (error) => {
      if (error.type === 'max-buffer-size-exceeded') parserOverflow = true
    },
    // A backstop only: a character is at least one byte, so the byte count below trips first.
    maxBufferSize: maxEventBytes,
  })
  const withinLimit = eventSizeMeter(maxEventBytes)
  // Stream mode keeps a character split between two chunks whole.
  const decoder = new TextDecoder('utf-8')
  try {
    for await (const chunk of response.body ?? []) {
      for (const line of linesOf(chunk)) {
        const within = withinLimit(line)
        if (within) parser.feed(decoder.decode(line, {stream: true}))
        for (const message of parsed.splice(0)) yield notificationOf(message, origin)
        if (options.closed.aborted) return
        if (!within || parserOverflow) throw tooLarge()
      }
    }
  } catch (error) {
    if (error instanceof MedrecError) throw error
    // A stream closed by close(), or by the gatekeeper going away, ends quietly; anything else is the caller's to see.
    if (!options.closed.aborted && !isConnectionLost(error)) throw error
  } finally {
    options.close()
  }
}

/** The parser's event as the caller sees it: its data must be a JSON object. */
function notificationOf(message: EventSourceMessage, origin: string): NotificationEvent {
  const data = parseJson(
    message.data,
    () =>
      new MedrecError(
        errorCodes.GATEKEEPER_ANSWER_INVALID,
        `${origin} sent a notification whose data is not JSON; the subscription was closed.`,
        {hint: 'The gatekeeper is misbehaving; tell its provider.'},
      ),
  )
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new MedrecError(
      errorCodes.GATEKEEPER_ANSWER_INVALID,
      `${origin} sent a notification whose data is not a JSON object; the subscription was closed.`,
    )
  }
  return {event: message.event ?? 'message', id: message.id ?? null, data: data as Record<string, unknown>}
}

/** A chunk cut after each line feed (the last piece may be the start of a line). */
function* linesOf(chunk: Uint8Array): Generator<Uint8Array> {
  let start = 0
  for (let lf = chunk.indexOf(LF); lf >= 0; lf = chunk.indexOf(LF, start)) {
    yield chunk.subarray(start, lf + 1)
    start = lf + 1
  }
  if (start < chunk.length) yield chunk.subarray(start)
}

/**
 * Counts the bytes of the event being received: every line since the last blank line
 * (LF or CRLF), line ends included, so comments and heartbeats between events do not add
 * up. Fed the pieces `linesOf` cuts; false once the event is over the limit. A stream
 * that ends lines with a bare CR is counted as one event, which only makes it stricter.
 */
function eventSizeMeter(maxEventBytes: number): (piece: Uint8Array) => boolean {
  let eventBytes = 0
  let lineBytes = 0
  let previousByte: number | undefined
  return (piece) => {
    const byteBeforeLast = piece.length >= 2 ? piece[piece.length - 2] : previousByte
    previousByte = piece[piece.length - 1]
    lineBytes += piece.length
    if (previousByte === LF) {
      const blank = lineBytes === 1 || (lineBytes === 2 && byteBeforeLast === CR)
      lineBytes = 0
      if (blank) {
        eventBytes = 0
        return true
      }
    }
    eventBytes += piece.length
    return eventBytes <= maxEventBytes
  }
}

/** True for hosts that can only be this machine: localhost, 127.0.0.0/8 and ::1. */
export function isLoopbackHost(hostname: string): boolean {
  // WHATWG URL has already normalised the host: IPv4 in dotted decimal, IPv6 in brackets and compressed.
  const host = hostname.toLowerCase()
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/**
 * The URL of `path` at a relationship's endpoint, or why the client will not use it.
 * Plain http is refused off loopback: the request and its metadata (who asks about which
 * relationship) would travel in the clear, and nothing would prove who answers.
 */
function checkEndpoint(
  endpoint: string,
  path: string,
): {url: URL} | {status: 'bad-endpoint' | 'insecure-endpoint'; message: string; hint: string} {
  let base: URL
  try {
    base = new URL(endpoint)
  } catch {
    return {
      status: 'bad-endpoint',
      message: `The relationship's endpoint "${endpoint}" is not a URL.`,
      hint: 'The steward sets it with `medrec relationship propose --endpoint`.',
    }
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    return {
      status: 'bad-endpoint',
      message: `The relationship's endpoint "${endpoint}" is not http or https.`,
      hint: 'The steward sets it with `medrec relationship propose --endpoint`.',
    }
  }
  if (base.protocol === 'http:' && !isLoopbackHost(base.hostname)) {
    const problem = `The relationship's endpoint ${base.origin} is plain http on another machine`
    return {
      status: 'insecure-endpoint',
      message: `${problem}: refused before connecting.`,
      hint: 'The steward must serve its gatekeeper over https (`gatekeeper start --tls-cert`) and update the pointer.',
    }
  }
  return {url: new URL(`${base.pathname.replace(/\/$/, '')}${path}`, base)}
}

/**
 * The connection pool for one exchange with one gatekeeper, given to Node's fetch as its
 * dispatcher: fetch itself takes neither a CA nor timeouts. `ca` is trusted for this
 * exchange only, not by the whole process (as tls.setDefaultCACertificates would), so
 * gatekeepers asked side by side, and the chain's RPC, keep their own trust. The timeouts
 * are for silence (connecting, waiting for the headers, between body chunks); an event
 * stream is quiet between changes, so its body never times out.
 */
function gatekeeperAgent(ca: Buffer | undefined, timeoutMs: number, options: {stream: boolean}): Agent {
  return new Agent({
    connect: {timeout: timeoutMs, ...(ca ? {ca} : {})},
    headersTimeout: timeoutMs,
    bodyTimeout: options.stream ? 0 : timeoutMs,
  })
}

async function send(
  url: URL,
  options: {method: string; headers: Record<string, string>; body?: Buffer; agent: Agent; maxBytes: number},
): Promise<{status: number; contentType: string | undefined; body: Buffer}> {
  const response = await fetch(url, {
    method: options.method,
    // The limits count bytes as sent: a compressed answer would be counted after inflating.
    headers: {...options.headers, 'accept-encoding': 'identity'},
    body: options.body,
    // A redirect is the gatekeeper's answer, not somewhere to send a signed request (perhaps in the clear).
    redirect: 'manual',
    dispatcher: options.agent,
  })
  const body =
    response.status === 200
      ? await readLimited(response, options.maxBytes)
      : await readAtMost(response, maxErrorBodyBytes)
  return {status: response.status, contentType: response.headers.get('content-type') ?? undefined, body}
}

/** The body, refused (and the connection closed) past `maxBytes`, declared or sent. */
async function readLimited(response: Response, maxBytes: number): Promise<Buffer> {
  const tooLarge = (size: string) =>
    new MedrecError(
      errorCodes.GATEKEEPER_ANSWER_TOO_LARGE,
      `the answer is ${size}, over the limit of ${maxBytes} bytes; it was not read.`,
      {hint: 'The gatekeeper is misbehaving, or holds more than one answer may carry; tell its provider.'},
    )
  const declared = Number(response.headers.get('content-length') ?? Number.NaN)
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel()
    throw tooLarge(`${declared} bytes`)
  }
  const chunks: Uint8Array[] = []
  let total = 0
  // Leaving the loop early cancels the body, which closes the connection.
  for await (const chunk of response.body ?? []) {
    total += chunk.length
    if (total > maxBytes) throw tooLarge(`more than ${maxBytes} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks, total)
}

/** The first `maxBytes` of the body; the rest is not read. */
async function readAtMost(response: Response, maxBytes: number): Promise<Buffer> {
  const chunks: Uint8Array[] = []
  let total = 0
  for await (const chunk of response.body ?? []) {
    chunks.push(chunk)
    total += chunk.length
    if (total >= maxBytes) break
  }
  return Buffer.concat(chunks).subarray(0, maxBytes)
}

const timeoutCodes = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])
const connectionLostCodes = new Set(['UND_ERR_SOCKET', 'ECONNRESET'])

/** The innermost cause of an error: fetch's own message is only "fetch failed" or "terminated". */
function rootCause(error: unknown): unknown {
  let cause = error
  while (cause instanceof Error && cause.cause !== undefined) cause = cause.cause
  return cause
}

function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as {code?: unknown}).code : undefined
}

/** Why a request failed, as a person would say it. */
function requestFailure(error: unknown, timeoutMs: number): string {
  const cause = rootCause(error)
  if (timeoutCodes.has(codeOf(cause) as string)) return `no answer within ${timeoutMs} ms`
  // Happy eyeballs tries each address of a name and reports every failure together.
  if (cause instanceof AggregateError && cause.message === '')
    return cause.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join('; ')
  return cause instanceof Error ? cause.message : String(cause)
}

/** True when the gatekeeper closed or reset the connection mid-stream (it stopped, say). */
function isConnectionLost(error: unknown): boolean {
  return connectionLostCodes.has(codeOf(rootCause(error)) as string)
}

/** The decrypted records answer, checked: its shape, its relationship, each record's metadata against its resource. */
function parseRecordsPayload(
  text: string,
  relationship: Address,
): {block: {number: string; hash: Hex}; records: FetchedRecord[]} {
  const payload = JSON.parse(text) as {
    relationship?: unknown
    block?: {number?: unknown; hash?: unknown}
    records?: unknown
  }
  if (typeof payload !== 'object' || payload === null) throw new Error('it is not a JSON object')
  if (typeof payload.relationship !== 'string' || payload.relationship.toLowerCase() !== relationship.toLowerCase())
    throw new Error('it answers for another relationship than the one asked about')
  if (typeof payload.block?.number !== 'string' || typeof payload.block.hash !== 'string')
    throw new Error('it names no block')
  if (!Array.isArray(payload.records)) throw new Error('it holds no list of records')
  for (const [i, record] of (payload.records as Partial<FetchedRecord>[]).entries()) {
    const resource = record?.resource as {resourceType?: unknown; id?: unknown} | undefined
    const ok =
      typeof record?.resourceType === 'string' &&
      typeof record.resourceId === 'string' &&
      Number.isSafeInteger(record.version) &&
      typeof record.updatedAt === 'string' &&
      typeof resource === 'object' &&
      resource !== null &&
      !Array.isArray(resource) &&
      resource.resourceType === record.resourceType &&
      resource.id === record.resourceId
    if (!ok) throw new Error(`record ${i + 1} is malformed, or its type and id differ from its resource's`)
  }
  return {
    block: {number: payload.block.number, hash: payload.block.hash as Hex},
    records: payload.records as FetchedRecord[],
  }
}

function parseMessage(body: Buffer): string {
  try {
    const json = JSON.parse(body.toString('utf8')) as {message?: unknown}
    return typeof json.message === 'string' ? json.message : body.toString('utf8').slice(0, 200)
  } catch {
    return body.toString('utf8').slice(0, 200)
  }
}

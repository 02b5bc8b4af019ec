import {request as httpRequest, type IncomingMessage} from 'node:http'
import {request as httpsRequest} from 'node:https'
import {StringDecoder} from 'node:string_decoder'

import {zeroHash, type Address, type Hex} from 'viem'
import {privateKeyToAccount} from 'viem/accounts'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
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
 * come from the gatekeeper or the network; the others are the client refusing it:
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
  let response: {status: number; contentType: string | undefined; body: Buffer}
  try {
    response = await send(url, {
      method: 'POST',
      headers: {...headers, 'content-type': 'application/json'},
      body,
      ca: target.ca,
      timeoutMs: target.timeoutMs ?? 15_000,
      maxBytes: limits.maxAnswerBytes,
    })
  } catch (error) {
    if (error instanceof MedrecError && error.code === errorCodes.GATEKEEPER_ANSWER_TOO_LARGE)
      return failed('answer-too-large', `${url.origin}: ${error.message}`, 200)
    return failed('unreachable', `${url.origin} cannot be reached: ${(error as Error).message}`)
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
  const response = await open(url, {
    method: 'GET',
    headers: {...headers, accept: 'text/event-stream'},
    ca: target.ca,
    timeoutMs: target.timeoutMs ?? 15_000,
  })
  if (response.statusCode !== 200) {
    const body = await readAtMost(response, maxErrorBodyBytes)
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      `${url.origin} refused the subscription (HTTP ${response.statusCode}): ${parseMessage(body)}`,
      {hint: "Only the relationship's patient may subscribe, while the relationship is accepted."},
    )
  }
  response.socket.setTimeout(0)
  return {events: parseEventStream(response, limits.maxEventBytes, url.origin), close: () => response.destroy()}
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

async function* parseEventStream(
  stream: IncomingMessage,
  maxEventBytes: number,
  origin: string,
): AsyncGenerator<NotificationEvent> {
  const tooLarge = () => {
    stream.destroy()
    return new MedrecError(
      errorCodes.GATEKEEPER_ANSWER_TOO_LARGE,
      `${origin} sent a notification event larger than ${maxEventBytes} bytes; the subscription was closed.`,
      {hint: 'The gatekeeper is misbehaving; tell its provider.'},
    )
  }
  // Decoded across chunks, so a character split between two chunks stays whole.
  const decoder = new StringDecoder('utf8')
  let buffer = ''
  try {
    for await (const chunk of stream) {
      buffer += decoder.write(chunk as Buffer)
      let end
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        if (Buffer.byteLength(block, 'utf8') > maxEventBytes) throw tooLarge()
        let event = 'message'
        let id: string | null = null
        const data: string[] = []
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue
          const colon = line.indexOf(':')
          const field = colon < 0 ? line : line.slice(0, colon)
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
          if (field === 'event') event = value
          else if (field === 'id') id = value
          else if (field === 'data') data.push(value)
        }
        if (data.length === 0) continue
        let parsed: unknown
        try {
          parsed = JSON.parse(data.join('\n'))
        } catch {
          stream.destroy()
          throw new MedrecError(
            errorCodes.GATEKEEPER_ANSWER_INVALID,
            `${origin} sent a notification whose data is not JSON; the subscription was closed.`,
            {hint: 'The gatekeeper is misbehaving; tell its provider.'},
          )
        }
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
          stream.destroy()
          throw new MedrecError(
            errorCodes.GATEKEEPER_ANSWER_INVALID,
            `${origin} sent a notification whose data is not a JSON object; the subscription was closed.`,
          )
        }
        yield {event, id, data: parsed as Record<string, unknown>}
      }
      // What is left is an event not yet complete: it may not grow past the limit either.
      if (Buffer.byteLength(buffer, 'utf8') > maxEventBytes) throw tooLarge()
    }
  } catch (error) {
    if (error instanceof MedrecError) throw error
    // A stream closed by close() ends quietly; anything else is the caller's to see.
    if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET' && !stream.destroyed) throw error
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
    return {
      status: 'insecure-endpoint',
      message:
        `The relationship's endpoint ${base.origin} is plain http on another machine: ` + 'refused before connecting.',
      hint: 'The steward must serve its gatekeeper over https (`gatekeeper start --tls-cert`) and update the pointer.',
    }
  }
  return {url: new URL(base.pathname.replace(/\/$/, '') + path, base)}
}

function open(
  url: URL,
  options: {method: string; headers: Record<string, string>; body?: Buffer; ca?: Buffer; timeoutMs: number},
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const make = url.protocol === 'https:' ? httpsRequest : httpRequest
    const request = make(
      url,
      {
        method: options.method,
        headers: {...options.headers, ...(options.body ? {'content-length': String(options.body.length)} : {})},
        ...(options.ca ? {ca: options.ca} : {}),
        timeout: options.timeoutMs,
      },
      resolve,
    )
    request.on('timeout', () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)))
    request.on('error', reject)
    request.end(options.body)
  })
}

/** The body, refused (and the connection closed) past `maxBytes`, declared or sent. */
async function readLimited(stream: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = (size: string) => {
    stream.destroy()
    return new MedrecError(
      errorCodes.GATEKEEPER_ANSWER_TOO_LARGE,
      `the answer is ${size}, over the limit of ${maxBytes} bytes; it was not read.`,
      {hint: 'The gatekeeper is misbehaving, or holds more than one answer may carry; tell its provider.'},
    )
  }
  const declared = Number(stream.headers['content-length'])
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(`${declared} bytes`)
  const chunks: Buffer[] = []
  let total = 0
  for await (const chunk of stream) {
    total += (chunk as Buffer).length
    if (total > maxBytes) throw tooLarge(`more than ${maxBytes} bytes`)
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks, total)
}

/** The first `maxBytes` of the body; the rest is not read. */
async function readAtMost(stream: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let total = 0
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer)
    total += (chunk as Buffer).length
    if (total >= maxBytes) {
      stream.destroy()
      break
    }
  }
  return Buffer.concat(chunks).subarray(0, maxBytes)
}

async function send(
  url: URL,
  options: {
    method: string
    headers: Record<string, string>
    body?: Buffer
    ca?: Buffer
    timeoutMs: number
    maxBytes: number
  },
): Promise<{status: number; contentType: string | undefined; body: Buffer}> {
  const response = await open(url, options)
  const status = response.statusCode ?? 0
  const body =
    status === 200 ? await readLimited(response, options.maxBytes) : await readAtMost(response, maxErrorBodyBytes)
  return {status, contentType: response.headers['content-type'], body}
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

import {request as httpRequest, type IncomingMessage} from 'node:http'
import {request as httpsRequest} from 'node:https'

import type {Address, Hex} from 'viem'
import {privateKeyToAccount} from 'viem/accounts'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {decodeEncryptedResponse} from './payload-encryption.js'
import {scopeForResourceTypes} from './resource-scope.js'
import {signGatekeeperRequest} from './sign-request.js'

/** Who asks, and which gatekeeper and chain the request is bound to. */
export type GatekeeperTarget = {
  /** The gatekeeper's base URL, from the relationship's pointer. */
  endpoint: string
  /** The steward's (provider's) account: the audience the request is signed for. */
  audience: Address
  chainId: number
  registrar: Address
  relationship: Address
  /** PEM certificate(s) to trust for an https endpoint with a private CA. */
  ca?: Buffer
  timeoutMs?: number
}

export type FetchedRecord = {resourceType: string; resourceId: string; version: number; updatedAt: string; seq: number; resource: Record<string, unknown>}

export type FetchRecordsResult =
  | {status: 'ok'; relationship: Address; block: {number: string; hash: Hex}; records: FetchedRecord[]}
  | {status: 'refused' | 'unavailable' | 'unreachable'; relationship: Address; httpStatus: number | null; message: string}

/** Signs a read of the relationship's records with `account`, sends it, and decrypts the answer. */
export async function fetchRecords(target: GatekeeperTarget & {privateKey: Hex; resourceTypes?: string[]}): Promise<FetchRecordsResult> {
  const url = endpointUrl(target.endpoint, '/v1/records')
  const body = Buffer.from(JSON.stringify(target.resourceTypes ? {resourceTypes: target.resourceTypes} : {}))
  const headers = await signFor(target, url, {action: 'read', scope: scopeForResourceTypes(target.resourceTypes), method: 'POST', body})
  let response: {status: number; contentType: string | undefined; body: Buffer}
  try {
    response = await send(url, {method: 'POST', headers: {...headers, 'content-type': 'application/json'}, body, ca: target.ca, timeoutMs: target.timeoutMs ?? 15_000})
  } catch (error) {
    return {status: 'unreachable', relationship: target.relationship, httpStatus: null, message: `${url.origin} cannot be reached: ${(error as Error).message}`}
  }
  if (response.status !== 200) {
    const message = parseMessage(response.body)
    return {status: response.status === 403 ? 'refused' : response.status === 503 ? 'unavailable' : 'unreachable', relationship: target.relationship, httpStatus: response.status, message}
  }
  const plaintext = decodeEncryptedResponse(target.privateKey, {contentType: response.contentType, body: response.body})
  const payload = JSON.parse(Buffer.from(plaintext).toString('utf8')) as {relationship: Address; block: {number: string; hash: Hex}; records: FetchedRecord[]}
  if (payload.relationship.toLowerCase() !== target.relationship.toLowerCase()) {
    throw new MedrecError(errorCodes.RPC_FAILED, `${url.origin} answered for another relationship than the one asked about.`, {hint: 'The gatekeeper is misbehaving; tell its provider.'})
  }
  return {status: 'ok', relationship: target.relationship, block: payload.block, records: payload.records}
}

export type NotificationEvent = {event: string; id: string | null; data: Record<string, unknown>}

/**
 * Subscribes to a gatekeeper's change notifications for one relationship (a signed
 * request, then a server-sent event stream). `events` yields each event until the
 * gatekeeper ends the stream or `close` is called.
 */
export async function subscribeNotifications(target: GatekeeperTarget & {privateKey: Hex}): Promise<{events: AsyncGenerator<NotificationEvent>; close(): void}> {
  const url = endpointUrl(target.endpoint, '/v1/notifications')
  const headers = await signFor(target, url, {action: 'subscribe', scope: scopeForResourceTypes(undefined), method: 'GET'})
  const response = await open(url, {method: 'GET', headers: {...headers, accept: 'text/event-stream'}, ca: target.ca, timeoutMs: target.timeoutMs ?? 15_000})
  if (response.statusCode !== 200) {
    const body = await readAll(response)
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${url.origin} refused the subscription (HTTP ${response.statusCode}): ${parseMessage(body)}`, {hint: 'Only the relationship\'s patient may subscribe, while the relationship is accepted.'})
  }
  response.socket.setTimeout(0)
  return {events: parseEventStream(response), close: () => response.destroy()}
}

/** The signed headers for one request to `url` on behalf of the target's requester. */
async function signFor(target: GatekeeperTarget & {privateKey: Hex}, url: URL, request: {action: 'read' | 'subscribe'; scope: bigint; method: string; body?: Buffer}): Promise<Record<string, string>> {
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

async function* parseEventStream(stream: IncomingMessage): AsyncGenerator<NotificationEvent> {
  let buffer = ''
  try {
    for await (const chunk of stream) {
      buffer += (chunk as Buffer).toString('utf8')
      let end
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
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
        yield {event, id, data: JSON.parse(data.join('\n')) as Record<string, unknown>}
      }
    }
  } catch (error) {
    // A stream closed by close() ends quietly; anything else is the caller's to see.
    if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET' && !stream.destroyed) throw error
  }
}

function endpointUrl(endpoint: string, path: string): URL {
  let base: URL
  try {
    base = new URL(endpoint)
  } catch {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `The relationship's endpoint "${endpoint}" is not a URL.`, {hint: 'The steward sets it with `medrec relationship propose --endpoint`.'})
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `The relationship's endpoint "${endpoint}" is not http or https.`)
  }
  return new URL(base.pathname.replace(/\/$/, '') + path, base)
}

function open(url: URL, options: {method: string; headers: Record<string, string>; body?: Buffer; ca?: Buffer; timeoutMs: number}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const make = url.protocol === 'https:' ? httpsRequest : httpRequest
    const request = make(url, {method: options.method, headers: {...options.headers, ...(options.body ? {'content-length': String(options.body.length)} : {})}, ...(options.ca ? {ca: options.ca} : {}), timeout: options.timeoutMs}, resolve)
    request.on('timeout', () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)))
    request.on('error', reject)
    request.end(options.body)
  })
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

async function send(url: URL, options: {method: string; headers: Record<string, string>; body?: Buffer; ca?: Buffer; timeoutMs: number}): Promise<{status: number; contentType: string | undefined; body: Buffer}> {
  const response = await open(url, options)
  return {status: response.statusCode ?? 0, contentType: response.headers['content-type'], body: await readAll(response)}
}

function parseMessage(body: Buffer): string {
  try {
    const json = JSON.parse(body.toString('utf8')) as {message?: unknown}
    return typeof json.message === 'string' ? json.message : body.toString('utf8').slice(0, 200)
  } catch {
    return body.toString('utf8').slice(0, 200)
  }
}

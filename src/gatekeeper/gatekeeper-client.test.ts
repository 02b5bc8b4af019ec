import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import {createServer as createHttpsServer} from 'node:https'
import type {AddressInfo} from 'node:net'
import {networkInterfaces, tmpdir} from 'node:os'
import {join} from 'node:path'

import {keccak256, stringToBytes, zeroHash, type Address, type Hex} from 'viem'
import {generatePrivateKey, privateKeyToAccount} from 'viem/accounts'
import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {fetchRecords, isLoopbackHost, subscribeNotifications, type GatekeeperTarget} from './gatekeeper-client.js'
import {encodeEncryptedResponse} from './payload-encryption.js'
import {recordsContentHash} from './records-content-hash.js'

const relationship = '0x2000000000000000000000000000000000000002' as Address
const privateKey = generatePrivateKey()
const publicKey = privateKeyToAccount(privateKey).publicKey

const resources = [
  {resourceType: 'Observation', id: 'o1', code: {text: 'Glucose'}, valueQuantity: {value: 5.4, unit: 'mmol/L'}},
  {resourceType: 'Condition', id: 'c1', code: {text: 'Type 2 diabetes'}},
  {resourceType: 'Patient', id: 'p1', name: [{family: 'Doe'}]},
]
const records = resources.map((resource, i) => ({
  resourceType: resource.resourceType,
  resourceId: resource.id,
  version: 1,
  updatedAt: '2025-01-01T00:00:00.000Z',
  seq: i + 1,
  resource,
}))

type Handler = (request: IncomingMessage, response: ServerResponse) => void

/**
 * A real HTTP server on `host` (loopback by default) that counts the connections it gets;
 * HTTPS when given a key and certificate.
 */
async function fakeGatekeeper(
  handler: Handler,
  host = '127.0.0.1',
  tls?: {key: Buffer; cert: Buffer},
): Promise<{url: string; port: number; connections(): number; [Symbol.asyncDispose](): Promise<void>}> {
  let connections = 0
  const listener = (request: IncomingMessage, response: ServerResponse) => {
    // The body is drained first so the client's request always completes.
    request.resume()
    request.on('end', () => handler(request, response))
  }
  const server: Server = tls ? createHttpsServer(tls, listener) : createServer(listener)
  server.on('connection', () => connections++)
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  const {port} = server.address() as AddressInfo
  return {
    url: `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    connections: () => connections,
    [Symbol.asyncDispose]: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** The encrypted records answer a gatekeeper sends. */
function recordsAnswer(
  response: ServerResponse,
  payload: unknown = {relationship, block: {number: '7', hash: `0x${'ab'.repeat(32)}`}, records},
): void {
  const {contentType, body} = encodeEncryptedResponse(publicKey, Buffer.from(JSON.stringify(payload)))
  response.writeHead(200, {'content-type': contentType, 'content-length': String(body.length)})
  response.end(Buffer.from(body))
}

function target(endpoint: string, extra: Partial<GatekeeperTarget> = {}): GatekeeperTarget & {privateKey: Hex} {
  return {
    endpoint,
    audience: '0x1000000000000000000000000000000000000001',
    chainId: 31_337,
    registrar: '0x3000000000000000000000000000000000000003',
    relationship,
    privateKey,
    timeoutMs: 5000,
    ...extra,
  }
}

/** A private CA and a certificate it issued for 127.0.0.1, made with the openssl command. */
function privateCa(): {ca: Buffer; key: Buffer; cert: Buffer} {
  const dir = mkdtempSync(join(tmpdir(), 'medrec-test-ca-'))
  try {
    const openssl = (...args: string[]) => execFileSync('openssl', args, {cwd: dir, stdio: 'pipe'})
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1']
    openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=MedRec test CA')
    const issued = ['-CA', 'ca.pem', '-CAkey', 'ca.key', '-keyout', 'server.key', '-out', 'server.pem']
    const leaf = ['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']
    openssl('req', '-x509', ...ec, ...issued, ...leaf, '-addext', 'basicConstraints=CA:FALSE')
    return {
      ca: readFileSync(join(dir, 'ca.pem')),
      key: readFileSync(join(dir, 'server.key')),
      cert: readFileSync(join(dir, 'server.pem')),
    }
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/** An address of this machine that is not loopback, to show that plain http to it is refused without traffic. */
function nonLoopbackAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address
}

describe('gatekeeper client: endpoints', () => {
  it('refuses plain http to a non-loopback address before connecting, for records and notifications', async () => {
    // Given a gatekeeper listening on this machine's non-loopback address
    const address = nonLoopbackAddress()
    if (address === undefined) return expect.fail('this machine has no non-loopback IPv4 address to test with')
    await using gk = await fakeGatekeeper((_request, response) => recordsAnswer(response), address)

    // When the client is pointed at it over plain http
    const result = await fetchRecords(target(gk.url))
    const subscription = await subscribeNotifications(target(gk.url)).catch((error: unknown) => error)

    // Then each is refused with its own status or error, and not one connection was made
    expect(result).toMatchObject({
      status: 'insecure-endpoint',
      relationship,
      httpStatus: null,
      message: expect.stringContaining('plain http'),
    })
    expect(subscription).toMatchObject({code: errorCodes.GATEKEEPER_ENDPOINT_REFUSED})
    expect(gk.connections()).toBe(0)
  })

  it('accepts plain http on loopback only', async () => {
    await using gk = await fakeGatekeeper((_request, response) => recordsAnswer(response))
    expect(await fetchRecords(target(gk.url))).toMatchObject({status: 'ok', records})
    expect(await fetchRecords(target(`http://localhost:${gk.port}`))).toMatchObject({status: 'ok'})
    for (const host of ['localhost', 'LOCALHOST', '127.0.0.1', '127.1.2.3', '[::1]'])
      expect(isLoopbackHost(new URL(`http://${host}:1`).hostname), host).toBe(true)
    // URL normalises other spellings of 127.0.0.1 before the check
    expect(isLoopbackHost(new URL('http://0x7f.1:1').hostname)).toBe(true)
    for (const host of [
      '192.0.2.1',
      '10.0.0.1',
      'example.org',
      'localhost.example.org',
      '127.0.0.1.nip.io',
      '[::2]',
      '[::ffff:192.0.2.1]',
      '0.0.0.0',
    ]) {
      expect(isLoopbackHost(new URL(`http://${host}:1`).hostname), host).toBe(false)
    }
    expect(await fetchRecords(target('not a url'))).toMatchObject({status: 'bad-endpoint'})
    expect(await fetchRecords(target('ftp://127.0.0.1/'))).toMatchObject({status: 'bad-endpoint'})
  })

  it('trusts a private CA only for the request given it, for records and notifications', async () => {
    // Given a gatekeeper serving https with a certificate from a private CA
    const {ca, key, cert} = privateCa()
    await using gk = await fakeGatekeeper(
      (request, response) => {
        if (request.method === 'POST') return recordsAnswer(response)
        response.writeHead(200, {'content-type': 'text/event-stream'})
        response.write(`event: ready\ndata: ${JSON.stringify({relationship})}\n\n`)
      },
      '127.0.0.1',
      {key, cert},
    )

    // When it is asked with the CA and, at the same time, without it
    const [trusted, untrusted] = await Promise.all([fetchRecords(target(gk.url, {ca})), fetchRecords(target(gk.url))])

    // Then only the request given the CA trusts the certificate: nothing else in the process does
    expect(trusted).toMatchObject({status: 'ok', records})
    expect(untrusted).toMatchObject({status: 'unreachable', httpStatus: null, message: expect.stringContaining(gk.url)})
    const subscription = await subscribeNotifications(target(gk.url, {ca}))
    const {value} = await subscription.events.next()
    subscription.close()
    expect(value).toMatchObject({event: 'ready', data: {relationship}})
    await expect(subscribeNotifications(target(gk.url))).rejects.toThrow(/certificate/)
  })

  it('does not follow a redirect: it is the answer, and the signed request goes nowhere else', async () => {
    // Given a gatekeeper that redirects both kinds of request to another server
    await using elsewhere = await fakeGatekeeper((_request, response) => recordsAnswer(response))
    await using gk = await fakeGatekeeper((request, response) => {
      response.writeHead(307, {location: `${elsewhere.url}${request.url}`, 'content-type': 'application/json'})
      response.end(JSON.stringify({message: 'Moved elsewhere.'}))
    })

    // Then the redirect is reported as the gatekeeper's answer and the other server hears nothing
    expect(await fetchRecords(target(gk.url))).toMatchObject({
      status: 'unreachable',
      httpStatus: 307,
      message: 'Moved elsewhere.',
    })
    await expect(subscribeNotifications(target(gk.url))).rejects.toMatchObject({
      code: errorCodes.INVALID_ARGUMENT,
      message: expect.stringContaining('HTTP 307'),
    })
    expect(elsewhere.connections()).toBe(0)
  })
})

describe('gatekeeper client: answer sizes', () => {
  it('refuses an answer over the limit, declared or streamed, and closes the connection', async () => {
    // Given a gatekeeper that sends 4 KiB, once with its length declared and once streamed
    let closedEarly = 0
    await using gk = await fakeGatekeeper((request, response) => {
      response.on('close', () => {
        if (!response.writableFinished) closedEarly++
      })
      if (request.url?.startsWith('/declared')) {
        response.writeHead(200, {'content-type': 'application/vnd.medrec.ecies', 'content-length': String(4096)})
        response.end(Buffer.alloc(4096))
        return
      }
      response.writeHead(200, {'content-type': 'application/vnd.medrec.ecies'})
      // A body that never ends: only the client's limit stops it.
      const timer = setInterval(() => response.write(Buffer.alloc(512)), 1)
      response.on('close', () => clearInterval(timer))
    })
    const limits = {maxAnswerBytes: 1024}

    // Then both are refused with a status saying so
    expect(await fetchRecords(target(`${gk.url}/declared`, {limits}))).toMatchObject({
      status: 'answer-too-large',
      message: expect.stringMatching(/4096 bytes, over the limit of 1024/),
    })
    expect(await fetchRecords(target(`${gk.url}/streamed`, {limits}))).toMatchObject({
      status: 'answer-too-large',
      message: expect.stringMatching(/more than 1024 bytes/),
    })
    await expect.poll(() => closedEarly).toBe(1)
  })

  it('refuses by default an answer declared larger than 32 MiB, without reading it', async () => {
    await using gk = await fakeGatekeeper((_request, response) => {
      response.writeHead(200, {
        'content-type': 'application/vnd.medrec.ecies',
        'content-length': String(33 * 1024 * 1024),
      })
      response.write(Buffer.alloc(16))
    })
    expect(await fetchRecords(target(gk.url))).toMatchObject({status: 'answer-too-large'})
  })

  it('gives each gatekeeper its own status: one misbehaving does not end the others', async () => {
    await using good = await fakeGatekeeper((_request, response) => recordsAnswer(response))
    await using big = await fakeGatekeeper((_request, response) => {
      response.writeHead(200, {
        'content-type': 'application/vnd.medrec.ecies',
        'content-length': String(64 * 1024 * 1024),
      })
      response.end()
    })
    await using lying = await fakeGatekeeper((_request, response) =>
      recordsAnswer(response, {
        relationship: '0x9000000000000000000000000000000000000009',
        block: {number: '1', hash: zeroHash},
        records,
      }),
    )
    await using garbled = await fakeGatekeeper((_request, response) => {
      response.writeHead(200, {'content-type': 'application/vnd.medrec.ecies'})
      response.end(Buffer.alloc(200, 1))
    })
    await using refusing = await fakeGatekeeper((_request, response) => {
      response.writeHead(403, {'content-type': 'application/json'})
      response.end(JSON.stringify({error: 'forbidden', message: 'This request is not allowed.'}))
    })
    // Each gatekeeper beside the status it must get, all asked at once
    const expected: [string, string][] = [
      [good.url, 'ok'],
      [big.url, 'answer-too-large'],
      [lying.url, 'bad-answer'],
      [garbled.url, 'bad-answer'],
      [refusing.url, 'refused'],
      ['http://192.0.2.1:8600', 'insecure-endpoint'],
    ]
    const results = await Promise.all(expected.map(([url]) => fetchRecords(target(url))))
    expect(results.map((r) => r.status)).toEqual(expected.map(([, status]) => status))
  })
})

describe('gatekeeper client: content hash', () => {
  it("checks the records against the pointer's content hash when one is set, and flags a mismatch", async () => {
    await using gk = await fakeGatekeeper((_request, response) => recordsAnswer(response))
    // The hash is over the resources in a fixed order, whatever order they are served in
    const committed = recordsContentHash([...resources].reverse())

    // Then matching records are verified; a hash of other content is a mismatch, with no records
    expect(await fetchRecords(target(gk.url, {contentHash: committed}))).toMatchObject({
      status: 'ok',
      content: 'verified',
      records,
    })
    const changed = recordsContentHash([
      {...resources[0]!, valueQuantity: {value: 9.9, unit: 'mmol/L'}},
      resources[1]!,
      resources[2]!,
    ])
    const mismatch = await fetchRecords(target(gk.url, {contentHash: changed}))
    expect(mismatch).toMatchObject({
      status: 'content-mismatch',
      httpStatus: 200,
      message: expect.stringContaining(changed),
    })
    expect(mismatch).not.toHaveProperty('records')
    expect(await fetchRecords(target(gk.url, {contentHash: recordsContentHash(resources.slice(0, 2))}))).toMatchObject({
      status: 'content-mismatch',
    })

    // And without a hash on chain, or when only some types were asked for, it says it did not check
    expect(await fetchRecords(target(gk.url, {contentHash: zeroHash}))).toMatchObject({
      status: 'ok',
      content: 'not-set',
    })
    expect(await fetchRecords(target(gk.url))).toMatchObject({status: 'ok', content: 'not-set'})
    expect(
      await fetchRecords(
        target(gk.url, {contentHash: changed, resourceTypes: ['Observation']} as Partial<GatekeeperTarget>),
      ),
    ).toMatchObject({status: 'ok', content: 'not-checked'})
  })

  it('is keccak256 of the canonical JSON of the resources sorted by type and id', () => {
    // A fixed vector, so another implementation can check itself against this one
    expect(
      recordsContentHash([
        {resourceType: 'Patient', id: 'p1'},
        {resourceType: 'Condition', id: 'c1', code: {text: 'x'}},
      ]),
    ).toBe(
      recordsContentHash([
        {id: 'c1', code: {text: 'x'}, resourceType: 'Condition'},
        {id: 'p1', resourceType: 'Patient'},
      ]),
    )
    const canonical =
      '[{"code":{"text":"x"},"id":"c1","resourceType":"Condition"},{"id":"p1","resourceType":"Patient"}]'
    expect(
      recordsContentHash([
        {resourceType: 'Patient', id: 'p1'},
        {resourceType: 'Condition', id: 'c1', code: {text: 'x'}},
      ]),
    ).toBe(keccak256(stringToBytes(canonical)))
    expect(recordsContentHash([])).toBe(keccak256(stringToBytes('[]')))
  })

  it('refuses records whose metadata differs from the resource itself', async () => {
    await using gk = await fakeGatekeeper((_request, response) =>
      recordsAnswer(response, {
        relationship,
        block: {number: '7', hash: zeroHash},
        records: [{...records[0], resourceId: 'someone-else'}],
      }),
    )
    expect(await fetchRecords(target(gk.url))).toMatchObject({
      status: 'bad-answer',
      message: expect.stringContaining('record 1'),
    })
  })
})

describe('gatekeeper client: notification streams', () => {
  const stream =
    (write: (response: ServerResponse) => void): Handler =>
    (_request, response) => {
      response.writeHead(200, {'content-type': 'text/event-stream'})
      write(response)
    }

  it('yields events within the limit, then ends the stream with an error at an event over it', async () => {
    // Given a stream with one normal event, then one whose data line is 2 KiB, never finished
    await using gk = await fakeGatekeeper(
      stream((response) => {
        response.write(`event: ready\ndata: ${JSON.stringify({relationship})}\n\n`)
        response.write(`event: record-changed\ndata: {"padding": "${'x'.repeat(2048)}`)
      }),
    )
    const subscription = await subscribeNotifications(target(gk.url, {limits: {maxEventBytes: 1024}}))

    // Then the first event comes through and the oversized one ends the stream
    const seen: string[] = []
    const error = await (async () => {
      for await (const event of subscription.events) seen.push(event.event)
    })().catch((e: unknown) => e)
    expect(seen).toEqual(['ready'])
    expect(error).toMatchObject({
      code: errorCodes.GATEKEEPER_ANSWER_TOO_LARGE,
      message: expect.stringContaining('larger than 1024 bytes'),
    })
  })

  it('refuses a complete event over the limit, and an event whose data is not JSON', async () => {
    await using big = await fakeGatekeeper(
      stream((response) => response.write(`data: {"padding": "${'y'.repeat(70 * 1024)}"}\n\n`)),
    )
    const first = await subscribeNotifications(target(big.url))
    await expect(first.events.next()).rejects.toMatchObject({code: errorCodes.GATEKEEPER_ANSWER_TOO_LARGE})

    await using garbled = await fakeGatekeeper(
      stream((response) => response.write('event: record-changed\ndata: not json\n\n')),
    )
    const second = await subscribeNotifications(target(garbled.url))
    await expect(second.events.next()).rejects.toMatchObject({code: errorCodes.GATEKEEPER_ANSWER_INVALID})
  })

  it('counts each event in bytes on its own: heartbeats between events do not add up, pieces of one do', async () => {
    // Given a stream with 2.7 KiB of heartbeat comments, an event (CRLF line ends), then an
    // event of 500 characters but 1.5 KiB, sent in 100-byte pieces
    const big = Buffer.from(`data: {"padding": "${'✓'.repeat(500)}"}\n\n`)
    const pieces = Array.from({length: Math.ceil(big.length / 100)}, (_, i) => big.subarray(i * 100, i * 100 + 100))
    await using gk = await fakeGatekeeper(
      stream((response) => {
        for (let i = 0; i < 200; i++) response.write(': keep-alive\n\n')
        response.write('id: 7\r\nevent: record-changed\r\ndata: {"resourceType": "Observation"}\r\n\r\n')
        const timer = setInterval(() => (pieces.length ? response.write(pieces.shift()) : clearInterval(timer)), 2)
        response.on('close', () => clearInterval(timer))
      }),
    )
    const subscription = await subscribeNotifications(target(gk.url, {limits: {maxEventBytes: 1024}}))

    // Then the event after the heartbeats comes through, and the one in pieces is refused once past the limit
    const seen: unknown[] = []
    const error = await (async () => {
      for await (const event of subscription.events) seen.push(event)
    })().catch((e: unknown) => e)
    expect(seen).toEqual([{event: 'record-changed', id: '7', data: {resourceType: 'Observation'}}])
    expect(error).toMatchObject({code: errorCodes.GATEKEEPER_ANSWER_TOO_LARGE})
  })

  it('keeps a character split across two chunks whole', async () => {
    await using gk = await fakeGatekeeper(
      stream((response) => {
        const bytes = Buffer.from(`data: ${JSON.stringify({text: 'Prüfung ✓'})}\n\n`, 'utf8')
        const split = bytes.indexOf(0x9c) // inside the three bytes of ✓
        response.write(bytes.subarray(0, split))
        setTimeout(() => response.write(bytes.subarray(split)), 20)
      }),
    )
    const subscription = await subscribeNotifications(target(gk.url))
    const {value} = await subscription.events.next()
    subscription.close()
    expect(value).toMatchObject({event: 'message', data: {text: 'Prüfung ✓'}})
  })
})

import {keccak256, type Address, type Hex} from 'viem'
import {generatePrivateKey, privateKeyToAccount} from 'viem/accounts'
import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {decryptWithPrivateKey, encryptForPublicKey} from '../keys/ecies.js'
import {signGatekeeperRequest, type SignGatekeeperRequestParameters} from './sign-request.js'
import {verifyGatekeeperRequest, type VerifyGatekeeperRequestParameters} from './verify-request.js'

const registrar: Address = '0x5fbdb2315678AFECb367f032c93F642f64180Aa3'
const otherRegistrar: Address = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512'
const audience: Address = '0x90F79bf6EB2c4f870365E785982E1f101E93b906'
const otherAudience: Address = '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65'
const relationship: Address = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
const signedAt = new Date('2030-01-01T00:00:00Z')
const secp256k1Order = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

/** A freshly signed POST and the matching verification parameters; each test gets its own. */
async function signedRequest(overrides: Partial<SignGatekeeperRequestParameters> = {}) {
  const privateKey = generatePrivateKey()
  const account = privateKeyToAccount(privateKey)
  const body = new TextEncoder().encode('{"resourceTypes":["Observation","Condition"]}')
  const signed = await signGatekeeperRequest({
    account,
    chainId: 1337,
    registrar,
    audience,
    relationship,
    action: 'read',
    scope: 1n,
    method: 'POST',
    path: '/records?limit=50',
    body,
    now: signedAt,
    ...overrides,
  })
  const verify: VerifyGatekeeperRequestParameters = {
    headers: {'content-type': 'application/json', ...signed.headers},
    method: 'POST',
    path: '/records?limit=50',
    body,
    chainId: 1337,
    registrar,
    audience,
    now: new Date(signedAt.getTime() + 1_000),
  }
  return {privateKey, account, signed, verify, signature: signed.headers['medrec-signature'] as Hex}
}

function withSignature(
  verify: VerifyGatekeeperRequestParameters,
  signature: string,
): VerifyGatekeeperRequestParameters {
  return {...verify, headers: {...verify.headers, 'medrec-signature': signature}}
}

function withRequestJson(
  verify: VerifyGatekeeperRequestParameters,
  edit: (json: Record<string, unknown>) => unknown,
): VerifyGatekeeperRequestParameters {
  const json = JSON.parse(
    Buffer.from(verify.headers['medrec-request'] as string, 'base64url').toString('utf8'),
  ) as Record<string, unknown>
  const header = Buffer.from(JSON.stringify(edit(json)), 'utf8').toString('base64url')
  return {...verify, headers: {...verify.headers, 'medrec-request': header}}
}

async function reasonFor(parameters: VerifyGatekeeperRequestParameters): Promise<string> {
  const result = await verifyGatekeeperRequest(parameters)
  return result.ok ? 'ok' : result.reason
}

describe('verifyGatekeeperRequest: round trip', () => {
  it('accepts a request as signed and returns the requester, signature hash and public key', async () => {
    // Given a request signed by a fresh account
    const {account, signed, verify, signature} = await signedRequest({action: 'subscribe', scope: 2n ** 256n - 1n})
    // When the gatekeeper verifies it as received
    const result = await verifyGatekeeperRequest(verify)
    // Then it is accepted with the signed fields
    expect(result).toEqual({
      ok: true,
      request: {
        requester: account.address,
        relationship,
        action: 'subscribe',
        scope: 2n ** 256n - 1n,
        nonce: signed.request.nonce,
        expiry: signed.request.expiry,
        audience,
      },
      signatureHash: keccak256(signature),
      publicKey: account.publicKey.toLowerCase(),
    })
  })

  it('recovers a public key the requester can decrypt a response for', async () => {
    const {privateKey, verify} = await signedRequest()
    const result = await verifyGatekeeperRequest(verify)
    if (!result.ok) throw new Error(result.reason)
    const records = new TextEncoder().encode('[{"resourceType":"Observation","id":"1"}]')
    expect(decryptWithPrivateKey(privateKey, encryptForPublicKey(result.publicKey, records))).toEqual(records)
  })

  it('accepts an empty body, headers in another case, and lowercase addresses in the JSON', async () => {
    // Given a GET without body whose JSON addresses are lowercase
    const {verify, signed} = await signedRequest({method: 'GET', path: '/records', body: undefined})
    const lowercase = withRequestJson(verify, (json) => ({
      ...json,
      requester: (json.requester as string).toLowerCase(),
      audience: audience.toLowerCase(),
    }))
    const headers = {
      'Medrec-Request': lowercase.headers['medrec-request'],
      'MEDREC-SIGNATURE': signed.headers['medrec-signature'],
    }
    // When verified as a GET with an empty body
    const result = await verifyGatekeeperRequest({
      ...verify,
      headers,
      method: 'GET',
      path: '/records',
      body: new Uint8Array(),
    })
    // Then it is accepted, addresses back in checksum form
    expect(result.ok && result.request.requester).toBe(signed.request.requester)
  })
})

describe('verifyGatekeeperRequest: a signature bound to something else', () => {
  it.each([
    ['chain id', (v: VerifyGatekeeperRequestParameters) => ({...v, chainId: 1338})],
    ['verifying contract', (v: VerifyGatekeeperRequestParameters) => ({...v, registrar: otherRegistrar})],
    [
      'one body byte',
      (v: VerifyGatekeeperRequestParameters) => ({...v, body: v.body.map((b, i) => (i === 3 ? b ^ 1 : b))}),
    ],
    [
      'a body byte appended',
      (v: VerifyGatekeeperRequestParameters) => ({...v, body: new Uint8Array([...v.body, 0x20])}),
    ],
    ['path', (v: VerifyGatekeeperRequestParameters) => ({...v, path: '/records?limit=5000'})],
    ['method', (v: VerifyGatekeeperRequestParameters) => ({...v, method: 'PUT'})],
    [
      'scope in the header',
      (v: VerifyGatekeeperRequestParameters) => withRequestJson(v, (json) => ({...json, scope: '2'})),
    ],
    [
      'relationship in the header',
      (v: VerifyGatekeeperRequestParameters) => withRequestJson(v, (json) => ({...json, relationship: otherRegistrar})),
    ],
    [
      'action in the header',
      (v: VerifyGatekeeperRequestParameters) => withRequestJson(v, (json) => ({...json, action: 'subscribe'})),
    ],
    [
      'nonce in the header',
      (v: VerifyGatekeeperRequestParameters) =>
        withRequestJson(v, (json) => ({...json, nonce: `0x${'00'.repeat(32)}`})),
    ],
    [
      'expiry in the header',
      (v: VerifyGatekeeperRequestParameters) =>
        withRequestJson(v, (json) => ({...json, expiry: String(Number(json.expiry) + 1)})),
    ],
  ])('refuses a changed %s as bad-signature', async (_, tamper) => {
    // Given a valid signed request
    const {verify} = await signedRequest()
    expect(await reasonFor(verify)).toBe('ok')
    // When one bound value differs from what was signed, Then the signature no longer matches
    expect(await reasonFor(tamper(verify))).toBe('bad-signature')
  })

  it('refuses a requester claiming another account’s signature', async () => {
    // Given Mallory's header naming Alice as requester but signed by Mallory
    const {verify} = await signedRequest()
    const alice = privateKeyToAccount(generatePrivateKey())
    // When verified, Then the recovered signer is not the named requester
    expect(await reasonFor(withRequestJson(verify, (json) => ({...json, requester: alice.address})))).toBe(
      'bad-signature',
    )
  })

  it('refuses an r that is not on the curve as bad-signature', async () => {
    const {verify, signature} = await signedRequest()
    expect(await reasonFor(withSignature(verify, `0x${'00'.repeat(32)}${signature.slice(66)}`))).toBe('bad-signature')
  })

  it('refuses a request addressed to another gatekeeper', async () => {
    const {verify} = await signedRequest({audience: otherAudience})
    expect(await reasonFor(verify)).toBe('wrong-audience')
  })
})

describe('verifyGatekeeperRequest: time', () => {
  it('accepts until expiry plus the clock skew, then refuses as expired', async () => {
    // Given a request with a 60-second lifetime, signed at signedAt
    const {verify} = await signedRequest({lifetimeSeconds: 60})
    const at = (seconds: number) => ({...verify, now: new Date(signedAt.getTime() + seconds * 1000)})
    // Then it is good up to 60 + 30 seconds later, and expired from then on
    expect(await reasonFor(at(89.999))).toBe('ok')
    expect(await reasonFor(at(90))).toBe('expired')
    expect(await reasonFor({...at(60), clockSkewSeconds: 0})).toBe('expired')
  })

  it('refuses an expiry beyond the maximum lifetime plus skew', async () => {
    // Given a request asking to live for an hour
    const {verify} = await signedRequest({lifetimeSeconds: 3600})
    // Then a gatekeeper with the default 300 s maximum refuses it, and one allowing an hour accepts it
    expect(await reasonFor(verify)).toBe('expiry-too-far')
    expect(await reasonFor({...verify, maxLifetimeSeconds: 3600})).toBe('ok')
  })

  it('tolerates a requester clock up to the skew ahead of ours', async () => {
    const {verify} = await signedRequest({lifetimeSeconds: 300, now: new Date(signedAt.getTime() + 30_000)})
    expect(await reasonFor({...verify, now: signedAt})).toBe('ok')
    expect(await reasonFor({...verify, now: new Date(signedAt.getTime() - 1_000)})).toBe('expiry-too-far')
  })
})

describe('verifyGatekeeperRequest: signature encoding', () => {
  it('refuses the high-s twin of a valid signature, though it recovers the same signer', async () => {
    // Given a valid signature turned into its malleable twin (r, n - s, other v)
    const {verify, signature} = await signedRequest()
    const s = BigInt(`0x${signature.slice(66, 130)}`)
    const v = signature.slice(130) === '1b' ? '1c' : '1b'
    const twin = `${signature.slice(0, 66)}${(secp256k1Order - s).toString(16).padStart(64, '0')}${v}`
    // When verified, Then it is refused before recovery (ECDSA.sol would refuse it too)
    expect(await reasonFor(withSignature(verify, twin))).toBe('high-s')
  })

  it.each([
    ['v = 0', '00'],
    ['v = 1', '01'],
    ['v = 29', '1d'],
    ['v = 255', 'ff'],
  ])('refuses %s as bad-signature-v', async (_, v) => {
    const {verify, signature} = await signedRequest()
    expect(await reasonFor(withSignature(verify, `${signature.slice(0, 130)}${v}`))).toBe('bad-signature-v')
  })

  it.each([
    ['64 bytes (EIP-2098 compact)', (s: string) => s.slice(0, 130)],
    ['66 bytes', (s: string) => `${s}00`],
    ['no 0x prefix', (s: string) => s.slice(2)],
    ['non-hex digits', (s: string) => `${s.slice(0, 10)}zz${s.slice(12)}`],
    ['empty', () => ''],
  ])('refuses a signature of %s as malformed-signature', async (_, mangle) => {
    const {verify, signature} = await signedRequest()
    expect(await reasonFor(withSignature(verify, mangle(signature)))).toBe('malformed-signature')
  })
})

describe('verifyGatekeeperRequest: headers', () => {
  it('refuses a request without either header as missing-auth', async () => {
    const {verify} = await signedRequest()
    const {'medrec-signature': signature, ...noSignature} = verify.headers
    const {'medrec-request': request, ...noRequest} = verify.headers
    expect(signature).toBeDefined()
    expect(request).toBeDefined()
    expect(await reasonFor({...verify, headers: noSignature})).toBe('missing-auth')
    expect(await reasonFor({...verify, headers: noRequest})).toBe('missing-auth')
    expect(await reasonFor({...verify, headers: {}})).toBe('missing-auth')
  })

  it('refuses duplicated headers, however they arrive', async () => {
    // Given the same valid header sent twice: as an array, under two spellings, or joined by Node
    const {verify, signature} = await signedRequest()
    const request = verify.headers['medrec-request'] as string
    // Then none of them is resolved to one copy
    expect(await reasonFor({...verify, headers: {...verify.headers, 'medrec-request': [request, request]}})).toBe(
      'malformed-request',
    )
    expect(await reasonFor({...verify, headers: {...verify.headers, 'Medrec-Request': request}})).toBe(
      'malformed-request',
    )
    expect(await reasonFor({...verify, headers: {...verify.headers, 'medrec-request': `${request}, ${request}`}})).toBe(
      'malformed-request',
    )
    expect(await reasonFor({...verify, headers: {...verify.headers, 'medrec-signature': [signature, signature]}})).toBe(
      'malformed-signature',
    )
    expect(await reasonFor(withSignature(verify, `${signature}, ${signature}`))).toBe('malformed-signature')
  })

  it.each([
    ['garbage', '!!not base64!!'],
    ['padding', 'eyJ9fQ=='],
    ['base64 that is not JSON', Buffer.from('hello').toString('base64url')],
    ['JSON that is not an object', Buffer.from('[1,2]').toString('base64url')],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')],
    ['an oversized header', Buffer.from(`{"pad":"${'x'.repeat(3000)}"}`).toString('base64url')],
  ])('refuses %s in medrec-request as malformed-request', async (_, header) => {
    const {verify} = await signedRequest()
    expect(await reasonFor({...verify, headers: {...verify.headers, 'medrec-request': header}})).toBe(
      'malformed-request',
    )
  })

  it('refuses a non-canonical base64url spelling', async () => {
    // Given a header whose last character carries non-zero unused bits
    const {verify} = await signedRequest()
    const header = verify.headers['medrec-request'] as string
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const altered = header.slice(0, -1) + alphabet[alphabet.indexOf(header.at(-1) ?? 'A') + 1]
    expect(Buffer.from(altered, 'base64url')).toEqual(Buffer.from(header, 'base64url'))
    // Then it is refused even though it decodes to the same bytes
    expect(header.length % 4).not.toBe(0)
    expect(await reasonFor({...verify, headers: {...verify.headers, 'medrec-request': altered}})).toBe(
      'malformed-request',
    )
  })

  it.each([
    ['an extra field', (j: Record<string, unknown>) => ({...j, extra: 1})],
    [
      'a __proto__ field',
      (j: Record<string, unknown>) =>
        JSON.parse(JSON.stringify(j).replace('{', '{"__proto__":{"admin":true},')) as unknown,
    ],
    ['a missing field', ({nonce: _, ...j}: Record<string, unknown>) => j],
    ['an unknown action', (j: Record<string, unknown>) => ({...j, action: 'write'})],
    ['an action in another case', (j: Record<string, unknown>) => ({...j, action: 'READ'})],
    [
      'a wrong EIP-55 checksum',
      (j: Record<string, unknown>) => ({
        ...j,
        requester: (j.requester as string).replace(/[a-f]/, (c) => c.toUpperCase()),
      }),
    ],
    ['an address of 19 bytes', (j: Record<string, unknown>) => ({...j, relationship: relationship.slice(0, 40)})],
    ['a 31-byte nonce', (j: Record<string, unknown>) => ({...j, nonce: `0x${'11'.repeat(31)}`})],
    ['a 33-byte nonce', (j: Record<string, unknown>) => ({...j, nonce: `0x${'11'.repeat(33)}`})],
    ['a scope above uint256', (j: Record<string, unknown>) => ({...j, scope: (2n ** 256n).toString()})],
    ['a negative scope', (j: Record<string, unknown>) => ({...j, scope: '-1'})],
    ['a scope as a JSON number', (j: Record<string, unknown>) => ({...j, scope: 1})],
    ['a scope with a leading zero', (j: Record<string, unknown>) => ({...j, scope: '01'})],
    ['a scope in hex', (j: Record<string, unknown>) => ({...j, scope: '0x1'})],
    ['an expiry above uint64', (j: Record<string, unknown>) => ({...j, expiry: (2n ** 64n).toString()})],
    ['an expiry in exponent form', (j: Record<string, unknown>) => ({...j, expiry: '1.9e9'})],
  ])('refuses %s as malformed-request', async (_, edit) => {
    const {verify} = await signedRequest()
    expect(await reasonFor(withRequestJson(verify, edit))).toBe('malformed-request')
  })

  it('checks the format before doing any signature work, and says why without echoing input', async () => {
    // Given a malformed request with a malformed signature too
    const {verify} = await signedRequest()
    const both = withSignature(
      withRequestJson(verify, (j) => ({...j, action: '<script>'})),
      '0x12',
    )
    // Then the request header is reported, and the message does not repeat the input
    const result = await verifyGatekeeperRequest(both)
    expect(result).toMatchObject({ok: false, reason: 'malformed-request'})
    expect(JSON.stringify(result)).not.toContain('<script>')
  })
})

describe('verifyGatekeeperRequest: server parameters', () => {
  it('throws on a misconfigured gatekeeper rather than answering requests', async () => {
    const {verify} = await signedRequest()
    await expect(verifyGatekeeperRequest({...verify, audience: '0x1234' as Address})).rejects.toMatchObject({
      code: errorCodes.INVALID_ARGUMENT,
    })
    await expect(verifyGatekeeperRequest({...verify, now: new Date(Number.NaN)})).rejects.toMatchObject({
      code: errorCodes.INVALID_ARGUMENT,
    })
    await expect(verifyGatekeeperRequest({...verify, chainId: -1})).rejects.toMatchObject({
      code: errorCodes.INVALID_ARGUMENT,
    })
  })
})

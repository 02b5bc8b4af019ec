import {hashTypedData, recoverAddress, type Hex} from 'viem'
import {generatePrivateKey, privateKeyToAccount, toAccount} from 'viem/accounts'
import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {gatekeeperRequestDomain, gatekeeperRequestTypes} from './request-typed-data.js'
import {signGatekeeperRequest, toStrictSignature, type SignGatekeeperRequestParameters} from './sign-request.js'

const secp256k1Order = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

function parameters(overrides: Partial<SignGatekeeperRequestParameters> = {}): SignGatekeeperRequestParameters {
  return {
    account: privateKeyToAccount(generatePrivateKey()),
    chainId: 1337,
    registrar: '0x5fbdb2315678AFECb367f032c93F642f64180Aa3',
    audience: '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
    relationship: '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc',
    action: 'read',
    scope: 3n,
    method: 'GET',
    path: '/records?types=Observation',
    now: new Date('2030-01-01T00:00:00.500Z'),
    ...overrides,
  }
}

function decodeHeader(value: string | undefined): unknown {
  return JSON.parse(Buffer.from(value ?? '', 'base64url').toString('utf8'))
}

describe('signGatekeeperRequest', () => {
  it('sends the signed fields as base64url JSON, bigints as decimal strings, without requestHash', async () => {
    // Given a request for a 60-second default lifetime at a fixed time
    const p = parameters({nonce: `0x${'AB'.repeat(32)}`, scope: 2n ** 255n})
    // When it is signed
    const {headers, request} = await signGatekeeperRequest(p)
    // Then the header carries exactly the seven fields, checksummed and lowercase where canonical
    expect(headers['medrec-request']).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(decodeHeader(headers['medrec-request'])).toEqual({
      requester: p.account.address,
      relationship: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
      action: 'read',
      scope: (2n ** 255n).toString(),
      nonce: `0x${'ab'.repeat(32)}`,
      expiry: String(Math.floor(Date.parse('2030-01-01T00:00:00Z') / 1000) + 60),
      audience: '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
    })
    expect(Object.keys(headers).sort()).toEqual(['medrec-request', 'medrec-signature'])
    // And the signature is the requester's over the full typed message
    expect(headers['medrec-signature']).toMatch(/^0x[0-9a-f]{128}(1b|1c)$/)
    const digest = hashTypedData({
      domain: gatekeeperRequestDomain(1337, p.registrar),
      types: gatekeeperRequestTypes,
      primaryType: 'GatekeeperRequest',
      message: request,
    })
    expect(await recoverAddress({hash: digest, signature: headers['medrec-signature'] as Hex})).toBe(p.account.address)
  })

  it('draws a fresh 32-byte nonce for every request', async () => {
    const p = parameters()
    const first = await signGatekeeperRequest(p)
    const second = await signGatekeeperRequest(p)
    expect(first.request.nonce).toMatch(/^0x[0-9a-f]{64}$/)
    expect(first.request.nonce).not.toBe(second.request.nonce)
  })

  it('normalises a custom signer that returns the high-s twin with v = 0/1', async () => {
    // Given a signer (think KMS) that answers with yParity as v and the upper-half s
    const local = privateKeyToAccount(generatePrivateKey())
    const quirky = toAccount({
      address: local.address,
      signMessage: (args) => local.signMessage(args),
      signTransaction: (args) => local.signTransaction(args),
      async signTypedData(args) {
        const low = await local.signTypedData(args)
        const s = BigInt(`0x${low.slice(66, 130)}`)
        const yParity = low.endsWith('1b') ? 0 : 1
        return `${low.slice(0, 66)}${(secp256k1Order - s).toString(16).padStart(64, '0')}0${1 - yParity}` as Hex
      },
    })
    // When it signs a gatekeeper request
    const {headers, request} = await signGatekeeperRequest(parameters({account: quirky}))
    // Then the header holds the strict form, which still recovers the signer
    const signature = headers['medrec-signature'] as Hex
    expect(BigInt(`0x${signature.slice(66, 130)}`) <= secp256k1Order / 2n).toBe(true)
    expect(signature.slice(130)).toMatch(/^(1b|1c)$/)
    const digest = hashTypedData({
      domain: gatekeeperRequestDomain(1337, '0x5fbdb2315678AFECb367f032c93F642f64180Aa3'),
      types: gatekeeperRequestTypes,
      primaryType: 'GatekeeperRequest',
      message: request,
    })
    expect(await recoverAddress({hash: digest, signature})).toBe(local.address)
  })

  it('refuses bad parameters, naming every one', async () => {
    // Given several mistakes at once
    const p = parameters({
      chainId: 0,
      audience: '0xnot-an-address',
      scope: -1n,
      method: 'GET /',
      lifetimeSeconds: 1.5,
      nonce: '0x1234',
    })
    // When signing, Then one error lists them all
    const error = await signGatekeeperRequest(p).catch((e: unknown) => e)
    expect(error).toMatchObject({code: errorCodes.INVALID_ARGUMENT})
    expect((error as {details: string[]}).details.map((d) => d.split(':')[0])).toEqual([
      'chainId',
      'audience',
      'scope',
      'method',
      'lifetimeSeconds',
      'nonce',
    ])
  })
})

describe('toStrictSignature', () => {
  it('keeps an already strict signature unchanged', async () => {
    const account = privateKeyToAccount(generatePrivateKey())
    const signature = await account.signMessage({message: 'x'})
    expect(toStrictSignature(signature)).toBe(signature.toLowerCase())
  })

  it('refuses lengths other than 65 bytes and v outside {0, 1, 27, 28}', () => {
    expect(() => toStrictSignature(`0x${'11'.repeat(64)}`)).toThrow(
      expect.objectContaining({code: errorCodes.INVALID_ARGUMENT}),
    )
    expect(() => toStrictSignature(`0x${'11'.repeat(64)}1d`)).toThrow(
      expect.objectContaining({code: errorCodes.INVALID_ARGUMENT}),
    )
  })
})

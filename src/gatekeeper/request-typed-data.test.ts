import {encodeAbiParameters, hashStruct, hashTypedData, keccak256, stringToBytes, toHex} from 'viem'
import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {
  gatekeeperDomainSeparator,
  gatekeeperRequestDigest,
  gatekeeperRequestDomain,
  gatekeeperRequestHash,
  gatekeeperRequestTypeHash,
  gatekeeperRequestTypes,
  type GatekeeperRequestMessage,
} from './request-typed-data.js'

const registrar = '0x5fbdb2315678AFECb367f032c93F642f64180Aa3'
const message: GatekeeperRequestMessage = {
  requester: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  relationship: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
  action: 'subscribe',
  scope: 2n ** 200n + 7n,
  nonce: `0x${'ab'.repeat(32)}`,
  expiry: 1_900_000_000n,
  audience: '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
  requestHash: `0x${'cd'.repeat(32)}`,
}

describe('gatekeeperRequestDigest', () => {
  it('equals viem hashTypedData over the declared types and domain', () => {
    // Given a message with every field away from zero
    // When the hand-written digest and viem's generic one are computed
    const ours = gatekeeperRequestDigest(1337, registrar, message)
    const viems = hashTypedData({
      domain: gatekeeperRequestDomain(1337, registrar),
      types: gatekeeperRequestTypes,
      primaryType: 'GatekeeperRequest',
      message,
    })
    // Then they agree, so a client signing with any EIP-712 library is verified
    expect(ours).toBe(viems)
  })

  it('changes with the chain id and with the verifying contract', () => {
    const base = gatekeeperRequestDigest(1337, registrar, message)
    expect(gatekeeperRequestDigest(1338, registrar, message)).not.toBe(base)
    expect(gatekeeperRequestDigest(1337, '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512', message)).not.toBe(base)
  })

  it('pins the type hash to the type string of the brief', () => {
    expect(gatekeeperRequestTypeHash).toBe(
      keccak256(
        stringToBytes(
          'GatekeeperRequest(address requester,address relationship,string action,uint256 scope,' +
            'bytes32 nonce,uint64 expiry,address audience,bytes32 requestHash)',
        ),
      ),
    )
  })

  it('keeps the struct hash that requests were signed over so far', () => {
    expect(hashStruct({types: gatekeeperRequestTypes, primaryType: 'GatekeeperRequest', data: message})).toBe(
      '0x0b8861c553c872f09679aede89a57d00feac40da4d1bd83ba17126babe535510',
    )
  })

  it('refuses a chain id or registrar that cannot form a domain', () => {
    expect(() => gatekeeperDomainSeparator(0, registrar)).toThrow(
      expect.objectContaining({code: errorCodes.INVALID_ARGUMENT}),
    )
    expect(() => gatekeeperDomainSeparator(1337, '0x5fbdb2315678AFECb367f032c93F642f64180AA3')).toThrow(
      expect.objectContaining({code: errorCodes.INVALID_ARGUMENT}),
    )
  })
})

describe('gatekeeperRequestHash', () => {
  it('is keccak256(abi.encode(keccak(METHOD), keccak(path), keccak(body)))', () => {
    // Given a request with a query and a body
    const body = new TextEncoder().encode('{"resourceTypes":["Observation"]}')
    // When hashed with a lowercase method
    const hash = gatekeeperRequestHash({method: 'post', path: '/records?limit=10', body})
    // Then the method is uppercased and each part hashed before encoding
    const expected = keccak256(
      encodeAbiParameters(
        [{type: 'bytes32'}, {type: 'bytes32'}, {type: 'bytes32'}],
        [keccak256(toHex('POST')), keccak256(toHex('/records?limit=10')), keccak256(body)],
      ),
    )
    expect(hash).toBe(expected)
  })

  it('differs for a different method, path, query or body', () => {
    const empty = new Uint8Array()
    const base = gatekeeperRequestHash({method: 'GET', path: '/records?a=1', body: empty})
    expect(gatekeeperRequestHash({method: 'HEAD', path: '/records?a=1', body: empty})).not.toBe(base)
    expect(gatekeeperRequestHash({method: 'GET', path: '/records?a=2', body: empty})).not.toBe(base)
    expect(gatekeeperRequestHash({method: 'GET', path: '/records', body: empty})).not.toBe(base)
    expect(gatekeeperRequestHash({method: 'GET', path: '/records?a=1', body: new Uint8Array([0])})).not.toBe(base)
  })

  it('refuses a method that is not an HTTP token', () => {
    expect(() => gatekeeperRequestHash({method: 'GET /x', path: '/', body: new Uint8Array()})).toThrow(
      expect.objectContaining({code: errorCodes.INVALID_ARGUMENT}),
    )
  })
})

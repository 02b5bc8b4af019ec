import {describe, expect, it} from 'vitest'

import {MedrecError} from '../errors/medrec-error.js'
import {errorCodes} from '../errors/error-codes.js'
import {compileMedrecContracts} from './compile-contracts.js'
import {assertNoPush0, findPush0, metadataStart} from './push0.js'
import {compileSolidity} from './solc-standard-json.js'

const tinySource = `
pragma solidity ^0.8.24;
contract Tiny { uint256 public x; function set(uint256 v) external { x = v; } }`

/** solc's metadata tail: a CBOR map (0xa2 …) followed by its two-byte length. */
const metadataWith = (body: string): string => `a2${body}${((body.length / 2 + 1) >> 0).toString(16).padStart(4, '0')}`

describe('findPush0', () => {
  it('finds a real PUSH0 and reports its offset', () => {
    // Given PUSH1 0x01, PUSH0, ADD
    // When scanned, Then the PUSH0 is at byte 2
    expect(findPush0('0x60015f01')).toBe(2)
  })

  it('ignores 0x5f inside PUSH1..PUSH32 immediate data', () => {
    // Given 0x5f as data of PUSH1, PUSH2 and PUSH32
    const push32 = `7f${'5f'.repeat(32)}`
    // When scanned, Then nothing is found
    expect(findPush0('0x605f')).toBeUndefined()
    expect(findPush0('0x615f5f00')).toBeUndefined()
    expect(findPush0(`0x${push32}00`)).toBeUndefined()
    // And a PUSH0 right after that data is still found
    expect(findPush0(`0x${push32}5f`)).toBe(33)
  })

  it('stops at the CBOR metadata, where 0x5f is data', () => {
    // Given code followed by a metadata blob containing 0x5f
    const code = '6001600201'
    const withMetadata = `0x${code}${metadataWith('5f5f')}`
    // When scanned, Then the metadata is not treated as code
    expect(metadataStart(Buffer.from(withMetadata.slice(2), 'hex'))).toBe(code.length / 2)
    expect(findPush0(withMetadata)).toBeUndefined()
    // And a PUSH0 in the code before the metadata is still found
    expect(findPush0(`0x5f${metadataWith('5f5f')}`)).toBe(0)
  })

  it('scans to the end when the tail is not CBOR metadata', () => {
    // Given code whose last two bytes do not describe a CBOR map
    // When scanned, Then a trailing PUSH0 is found
    expect(findPush0('0x60015f0001')).toBe(2)
    expect(findPush0('0x')).toBeUndefined()
  })

  it('refuses input that is not hex, such as unlinked library placeholders', () => {
    // Given bytecode with a library placeholder
    // When scanned, Then it is an invalid argument
    expect(() => findPush0('0x73__$abc$__')).toThrow(expect.objectContaining({code: errorCodes.INVALID_ARGUMENT}))
  })
})

describe('assertNoPush0', () => {
  it('refuses a contract compiled for Shanghai, with a hint about evmVersion london', () => {
    // Given a tiny contract compiled with evmVersion shanghai
    const shanghai = compileSolidity({'Tiny.sol': tinySource}, {evmVersion: 'shanghai', optimizerRuns: 200})[
      'Tiny.sol:Tiny'
    ]
    expect(shanghai).toBeDefined()
    // When checked, Then it is refused as BYTECODE_PUSH0
    let error: unknown
    try {
      assertNoPush0('Tiny', shanghai?.bytecode ?? '')
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(MedrecError)
    expect((error as MedrecError).code).toBe(errorCodes.BYTECODE_PUSH0)
    expect((error as MedrecError).hint).toContain('london')
    expect((error as MedrecError).details[0]).toMatch(/^Tiny: PUSH0 \(0x5f\) at byte offset \d+$/)
  })

  it('accepts the same contract compiled for London', () => {
    // Given the tiny contract compiled with evmVersion london
    const london = compileSolidity({'Tiny.sol': tinySource}, {evmVersion: 'london', optimizerRuns: 200})[
      'Tiny.sol:Tiny'
    ]
    // When checked, Then it passes
    expect(() => assertNoPush0('Tiny', london?.bytecode ?? '0x5f')).not.toThrow()
    expect(findPush0(london?.deployedBytecode ?? '0x5f')).toBeUndefined()
  })

  it('accepts every MedRec artifact, creation and runtime code', async () => {
    // Given MedRec compiled as shipped
    const {artifacts} = await compileMedrecContracts({
      contractsDir: new URL('../../contracts', import.meta.url).pathname,
    })
    // When each artifact is checked, Then none contains PUSH0
    expect(Object.keys(artifacts).sort()).toEqual([
      'AuditAnchors',
      'Consortium',
      'Registrar',
      'Relationship',
      'Summary',
    ])
    for (const artifact of Object.values(artifacts)) {
      expect(findPush0(artifact.bytecode)).toBeUndefined()
      expect(findPush0(artifact.deployedBytecode)).toBeUndefined()
    }
  })
})

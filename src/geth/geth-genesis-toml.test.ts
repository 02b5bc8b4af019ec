import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {thrownRefusal} from '../errors/testing/refusal.js'
import {gethGenesisToml} from './geth-genesis-toml.js'
import {gethConfigToml} from './geth-node-command.js'

/** A genesis as `medrec network init` writes it (two signers, the deployer funded). */
const genesis = {
  config: {
    chainId: 4_242_424,
    homesteadBlock: 0,
    eip150Block: 0,
    eip155Block: 0,
    eip158Block: 0,
    byzantiumBlock: 0,
    constantinopleBlock: 0,
    petersburgBlock: 0,
    istanbulBlock: 0,
    berlinBlock: 0,
    londonBlock: 0,
    clique: {period: 1, epoch: 30_000},
  },
  nonce: '0x0',
  timestamp: '0x0',
  extraData: `0x${'00'.repeat(32)}${'11'.repeat(20)}${'22'.repeat(20)}${'00'.repeat(65)}`,
  gasLimit: '0x1c9c380',
  difficulty: '0x1',
  mixHash: `0x${'00'.repeat(32)}`,
  coinbase: `0x${'00'.repeat(20)}`,
  alloc: {abcdefabcdefabcdefabcdefabcdefabcdefabcd: {balance: '0xd3c21bcecceda1000000'}},
}

/** The error gethGenesisToml refuses `bad` with. */
function refusal(bad: unknown) {
  return thrownRefusal(() => gethGenesisToml(bad))
}

describe('gethGenesisToml', () => {
  it("writes every field under geth's Go names, quantities as decimals, extraData as its bytes", () => {
    const toml = gethGenesisToml(genesis)
    expect(toml).toContain('[Eth.Genesis]\nNonce = 0\nTimestamp = 0\n')
    expect(toml).toContain('GasLimit = 30000000\n')
    expect(toml).toContain('Difficulty = "1"\n')
    expect(toml).toContain(`Mixhash = "0x${'00'.repeat(32)}"\n`)
    expect(toml).toContain('[Eth.Genesis.Config]\nChainID = "4242424"\nHomesteadBlock = "0"\n')
    expect(toml).toContain('LondonBlock = "0"\n')
    expect(toml).toContain('[Eth.Genesis.Config.Clique]\nPeriod = 1\nEpoch = 30000\n')
    // 32 + 2 × 20 + 65 bytes, signers in place
    const extra = /ExtraData = \[([^\]]*)\]/.exec(toml)![1]!.split(', ').map(Number)
    expect(extra).toHaveLength(32 + 40 + 65)
    expect(extra.slice(32, 52)).toEqual(Array(20).fill(0x11))
    expect(extra.slice(52, 72)).toEqual(Array(20).fill(0x22))
    // The alloc key gets its 0x (geth's address type needs it); the balance stays exact (1e24 wei)
    expect(toml).toContain(
      '[Eth.Genesis.Alloc."0xabcdefabcdefabcdefabcdefabcdefabcdefabcd"]\nBalance = "1000000000000000000000000"\n',
    )
  })

  it("carries an account's nonce, code and storage", () => {
    const slot = `0x${'01'.padStart(64, '0')}`
    const toml = gethGenesisToml({
      ...genesis,
      alloc: {[`0x${'aa'.repeat(20)}`]: {balance: '0x1', nonce: '0x2', code: '0x6001', storage: {[slot]: slot}}},
    })
    expect(toml).toContain(`[Eth.Genesis.Alloc."0x${'aa'.repeat(20)}"]\nBalance = "1"\nNonce = 2\nCode = [96, 1]\n`)
    expect(toml).toContain(`[Eth.Genesis.Alloc."0x${'aa'.repeat(20)}".Storage]\n"${slot}" = "${slot}"\n`)
  })

  it('refuses a field it cannot translate instead of dropping it (a dropped field would change the chain)', () => {
    expect(refusal({...genesis, config: {...genesis.config, cancunTime: 0}})).toMatchObject({
      code: errorCodes.GENESIS_INVALID,
      message: expect.stringContaining('config.cancunTime'),
    })
    expect(refusal({...genesis, blobGasUsed: '0x0'}).message).toContain('blobGasUsed')
    expect(
      refusal({...genesis, alloc: {[`0x${'aa'.repeat(20)}`]: {balance: '0x1', privateKey: '0x01'}}}).message,
    ).toContain('privateKey')
  })

  it('refuses values geth would misread: a negative or fractional number, a short hash, odd hex', () => {
    expect(refusal({...genesis, gasLimit: -1}).code).toBe(errorCodes.GENESIS_INVALID)
    expect(refusal({...genesis, timestamp: 1.5}).code).toBe(errorCodes.GENESIS_INVALID)
    expect(refusal({...genesis, mixHash: '0x00'}).code).toBe(errorCodes.GENESIS_INVALID)
    expect(refusal({...genesis, extraData: '0x123'}).code).toBe(errorCodes.GENESIS_INVALID)
    expect(refusal({...genesis, nonce: `0x${'f'.repeat(16)}`}).code).toBe(errorCodes.GENESIS_INVALID)
  })
})

describe('gethConfigToml', () => {
  it('appends the genesis section only when given, after the peer lists', () => {
    const plain = gethConfigToml(['enode://a@1.2.3.4:30303'])
    expect(plain).not.toContain('Eth.Genesis')
    const withGenesis = gethConfigToml(['enode://a@1.2.3.4:30303'], undefined, {genesisToml: gethGenesisToml(genesis)})
    expect(withGenesis.startsWith(plain)).toBe(true)
    expect(withGenesis).toContain('\n[Eth.Genesis]\n')
  })
})

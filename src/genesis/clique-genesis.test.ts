import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {buildCliqueGenesis, findGenesisProblems, loadCliqueGenesis} from './clique-genesis.js'

const signers = ['0x2000000000000000000000000000000000000002', '0x1000000000000000000000000000000000000001']

async function sound() {
  return buildCliqueGenesis({
    chainId: 4_242_424,
    period: 2,
    epoch: 30_000,
    gasLimit: 30_000_000,
    signers,
    alloc: {[signers[0]!]: 10n ** 24n},
  })
}

describe('buildCliqueGenesis', () => {
  it('enables every fork up to London at block 0 and nothing later', async () => {
    const genesis = await sound()
    expect(genesis.config.londonBlock).toBe(0)
    expect(genesis.config.berlinBlock).toBe(0)
    for (const later of [
      'shanghaiTime',
      'cancunTime',
      'pragueTime',
      'terminalTotalDifficulty',
      'terminalTotalDifficultyPassed',
    ]) {
      expect(genesis.config).not.toHaveProperty(later)
    }
    expect(genesis.config.clique).toEqual({period: 2, epoch: 30_000})
    expect(genesis.config.chainId).toBe(4_242_424)
    expect(genesis.gasLimit).toBe('0x1c9c380')
    expect(genesis.alloc['2000000000000000000000000000000000000002']).toEqual({balance: '0xd3c21bcecceda1000000'})
    expect(findGenesisProblems(genesis)).toEqual([])
  })
})

describe('findGenesisProblems', () => {
  it.each([
    ['shanghaiTime', 0],
    ['cancunTime', 0],
    ['pragueTime', 0],
  ])('refuses a genesis that enables %s', async (fork, value) => {
    const genesis = await sound()
    genesis.config[fork] = value
    expect(findGenesisProblems(genesis)).toEqual([expect.stringContaining(`config.${fork}`)])
  })

  it('refuses terminalTotalDifficultyPassed, which silently disables sealing', async () => {
    const genesis = await sound()
    genesis.config.terminalTotalDifficultyPassed = true
    expect(findGenesisProblems(genesis)).toEqual([expect.stringContaining('silently disables')])
  })

  it('refuses a well-known chain id unless allowed', async () => {
    const genesis = await sound()
    genesis.config.chainId = 1337
    expect(findGenesisProblems(genesis)).toEqual([expect.stringContaining('geth --dev')])
    expect(findGenesisProblems(genesis, {allowWellKnownChainId: true})).toEqual([])
  })

  it('refuses period 0 and a missing clique section', async () => {
    const genesis = await sound()
    genesis.config.clique = {period: 0, epoch: 30_000}
    expect(findGenesisProblems(genesis)).toEqual([expect.stringContaining('config.clique.period')])
    delete genesis.config.clique
    expect(findGenesisProblems(genesis)).toEqual([expect.stringContaining('not a Clique genesis')])
  })

  it('reports every problem at once', async () => {
    const genesis = await sound()
    genesis.config.shanghaiTime = 0
    genesis.config.cancunTime = 0
    genesis.extraData = '0x00'
    expect(findGenesisProblems(genesis)).toHaveLength(3)
  })
})

describe('loadCliqueGenesis', () => {
  it('refuses a genesis.json with unsorted signers, naming the field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medrec-genesis-'))
    const genesis = await sound()
    const vanity = '00'.repeat(32)
    genesis.extraData = `0x${vanity}${signers[0]!.slice(2)}${signers[1]!.slice(2)}${'00'.repeat(65)}`
    await writeFile(join(dir, 'genesis.json'), JSON.stringify(genesis))
    await expect(loadCliqueGenesis(dir)).rejects.toMatchObject({
      code: errorCodes.GENESIS_INVALID,
      details: [expect.stringMatching(/^extraData: .*ascending/)],
    })
  })

  it('refuses a genesis.json that is not JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medrec-genesis-'))
    await writeFile(join(dir, 'genesis.json'), '{not json')
    await expect(loadCliqueGenesis(dir)).rejects.toMatchObject({code: errorCodes.GENESIS_INVALID})
  })
})

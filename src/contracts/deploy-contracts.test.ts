import type {Hex} from 'viem'
import {generatePrivateKey, privateKeyToAccount, type LocalAccount} from 'viem/accounts'
import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {registrarAbi} from './abi/registrar.js'
import type {ContractArtifact} from './compile-contracts.js'
import {
  codeMatchesArtifact,
  deployMedrecContracts,
  type DeployMedrecContractsOptions,
  type DeployProgressEvent,
} from './deploy-contracts.js'
import {clientsFor, newAccount, randomAddress, type TestChain} from './testing/medrec-test-world.js'
import {compileSolidity} from './solc-standard-json.js'
import {useMedrecChain} from './testing/test-context.js'

const ctx = useMedrecChain()

const nonceOf = async (chain: TestChain, account: LocalAccount): Promise<number> =>
  chain.publicClient.getTransactionCount({address: account.address})

/** Options that deploy MedRec from a fresh funded key, and that key (to count what it sent). */
async function freshDeployer() {
  const chain = ctx.chain()
  const deployer = await newAccount(chain)
  const options: DeployMedrecContractsOptions = {...clientsFor(chain, deployer), artifacts: ctx.compiled().artifacts}
  return {chain, deployer, options}
}

/** A finished deployment (`first`) from a fresh key, for a later run to resume or reuse. */
async function finishedDeployment() {
  const fresh = await freshDeployer()
  return {...fresh, first: await deployMedrecContracts(fresh.options)}
}

describe('deployMedrecContracts', () => {
  it('deploys implementations before the Registrar and wires them in', async () => {
    // Given a funded deployer and a separate governance address
    const {chain, options} = await freshDeployer()
    const governance = await newAccount(chain)
    const events: DeployProgressEvent[] = []
    // When MedRec is deployed
    const result = await deployMedrecContracts({
      ...options,
      governance: governance.address,
      onProgress: (event) => events.push(event),
    })
    // Then all three are new, in dependency order, and the Registrar points at the implementations
    expect(result.deployed).toEqual(['Relationship', 'Summary', 'Registrar'])
    expect(result.reused).toEqual([])
    expect(events.filter((e) => e.type === 'deployed').map((e) => e.name)).toEqual([
      'Relationship',
      'Summary',
      'Registrar',
    ])
    const read = async (functionName: 'relationshipImplementation' | 'summaryImplementation' | 'governance') =>
      chain.publicClient.readContract({address: result.addresses.Registrar, abi: registrarAbi, functionName})
    expect(await read('relationshipImplementation')).toBe(result.addresses.Relationship)
    expect(await read('summaryImplementation')).toBe(result.addresses.Summary)
    expect(await read('governance')).toBe(governance.address)
  })

  it('reuses existing deployments whose code matches, sending nothing', async () => {
    // Given a finished deployment
    const {chain, deployer, options, first} = await finishedDeployment()
    const nonce = await nonceOf(chain, deployer)
    // When deployed again with those addresses
    const second = await deployMedrecContracts({...options, existing: first.addresses})
    // Then everything is reused (the Registrar despite its immutables) and no transaction is sent
    expect(second).toEqual({addresses: first.addresses, deployed: [], reused: ['Relationship', 'Summary', 'Registrar']})
    expect(await nonceOf(chain, deployer)).toBe(nonce)
  })

  it('finishes a half-done deployment: reuses what exists and deploys the rest', async () => {
    // Given only the implementations from an interrupted run
    const {options, first} = await finishedDeployment()
    // When deployed with the Registrar's address missing and an empty address for Summary
    const resumed = await deployMedrecContracts({
      ...options,
      existing: {Relationship: first.addresses.Relationship, Summary: randomAddress()},
    })
    // Then Relationship is reused, Summary (no code there) and the Registrar are deployed
    expect(resumed.reused).toEqual(['Relationship'])
    expect(resumed.deployed).toEqual(['Summary', 'Registrar'])
    expect(resumed.addresses.Relationship).toBe(first.addresses.Relationship)
  })

  it('refuses an existing address that runs different code', async () => {
    // Given a deployment, and a stored address that holds the wrong contract
    const {options, first} = await finishedDeployment()
    // When deployed with Summary's address given for Relationship, Then it is refused
    await expect(
      deployMedrecContracts({...options, existing: {Relationship: first.addresses.Summary}}),
    ).rejects.toMatchObject({code: errorCodes.DEPLOY_FAILED})
  })

  it('refuses to reuse a Registrar wired to other implementations', async () => {
    // Given two deployments
    const {options, first} = await finishedDeployment()
    const second = await deployMedrecContracts(options)
    // When the first Registrar is combined with the second implementations, Then it is refused
    const mixed = {
      Relationship: second.addresses.Relationship,
      Summary: second.addresses.Summary,
      Registrar: first.addresses.Registrar,
    }
    await expect(deployMedrecContracts({...options, existing: mixed})).rejects.toMatchObject({
      code: errorCodes.DEPLOY_FAILED,
    })
  })

  it('refuses PUSH0 bytecode before sending any transaction', async () => {
    // Given artifacts where Summary was compiled for Shanghai
    const {chain, deployer, options} = await freshDeployer()
    const shanghai = compileSolidity(
      {'S.sol': 'pragma solidity ^0.8.24; contract S { uint public x; function f(uint v) external { x = v; } }'},
      {evmVersion: 'shanghai', optimizerRuns: 200},
    )['S.sol:S']
    const {artifacts} = options
    const summary = artifacts.Summary as ContractArtifact
    const bad = {
      ...artifacts,
      Summary: {...summary, bytecode: shanghai?.bytecode as Hex, deployedBytecode: shanghai?.deployedBytecode as Hex},
    }
    // When deployed, Then BYTECODE_PUSH0 is thrown and the deployer sent nothing (not even Relationship)
    await expect(deployMedrecContracts({...options, artifacts: bad})).rejects.toMatchObject({
      code: errorCodes.BYTECODE_PUSH0,
    })
    expect(await nonceOf(chain, deployer)).toBe(0)
  })

  it('refuses incomplete artifacts and reports a failed transaction as DEPLOY_FAILED', async () => {
    const {chain, options} = await freshDeployer()
    const {artifacts} = options
    // Given artifacts without the Registrar, When deployed, Then DEPLOY_FAILED names it
    const {Registrar: _omitted, ...partial} = artifacts
    await expect(deployMedrecContracts({...options, artifacts: partial})).rejects.toMatchObject({
      code: errorCodes.DEPLOY_FAILED,
      message: expect.stringContaining('Registrar'),
    })
    // Given a deployer without funds, When deployed, Then DEPLOY_FAILED keeps the cause
    const broke = privateKeyToAccount(generatePrivateKey())
    const error = await deployMedrecContracts({...options, ...clientsFor(chain, broke)}).catch((e: unknown) => e)
    expect(error).toMatchObject({code: errorCodes.DEPLOY_FAILED})
    expect((error as Error).cause).toBeDefined()
  })
})

describe('codeMatchesArtifact', () => {
  const artifact = {deployedBytecode: '0x6001aaaaaaaa6002' as Hex, immutableRanges: [{start: 2, length: 4}]}

  it('ignores the bytes the constructor fills with immutables', () => {
    // Given on-chain code that differs only inside the immutable range
    // When compared, Then it matches
    expect(codeMatchesArtifact('0x6001123456786002', artifact)).toBe(true)
  })

  it('detects any difference outside the immutables, and a different length', () => {
    // Given code that differs outside the immutable range, or is longer
    // When compared, Then it does not match
    expect(codeMatchesArtifact('0x6001aaaaaaaa6003', artifact)).toBe(false)
    expect(codeMatchesArtifact('0x6001aaaaaaaa600200', artifact)).toBe(false)
  })
})

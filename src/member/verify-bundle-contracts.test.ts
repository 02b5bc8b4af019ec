import {createWalletClient, http, keccak256} from 'viem'
import {describe, expect, it} from 'vitest'

import {deployMedrecContracts} from '../contracts/deploy-contracts.js'
import {newAccount, type TestChain} from '../contracts/testing/medrec-test-world.js'
import {useMedrecChain} from '../contracts/testing/test-context.js'
import {errorCodes} from '../errors/error-codes.js'
import {describeDeployedContracts, verifyBundleContracts, type CodeReader} from './verify-bundle-contracts.js'

const testChain = useMedrecChain()

/** Deploys Relationship, Summary and Registrar on anvil, as one member would. */
async function deployOnAnvil(chain: TestChain) {
  const deployer = await newAccount(chain)
  const walletClient = createWalletClient({
    account: deployer,
    chain: chain.chain,
    transport: http(chain.chain.rpcUrls.default.http[0]),
  })
  const {addresses} = await deployMedrecContracts({
    walletClient,
    publicClient: chain.publicClient,
    artifacts: testChain.compiled().artifacts,
  })
  const readCode: CodeReader = (address) => chain.publicClient.getCode({address})
  return {addresses, readCode}
}

describe('verifyBundleContracts', () => {
  it('trusts contracts whose deployed code is the code this member compiled and the bundle names', async () => {
    // Given contracts one member deployed and listed with their code hashes
    const {addresses, readCode} = await deployOnAnvil(testChain.chain())
    const contracts = await describeDeployedContracts(readCode, addresses)
    // When another member checks them against its own artifacts over its own node
    const verified = await verifyBundleContracts({readCode, contracts, artifacts: testChain.compiled().artifacts})
    // Then each is trusted at its address
    expect(verified.map((c) => c.name).sort()).toEqual(['Registrar', 'Relationship', 'Summary'])
    expect(verified.find((c) => c.name === 'Registrar')?.address).toBe(addresses.Registrar)
  })

  it('refuses an address that runs another contract than the one named, even with its true code hash', async () => {
    // Given a bundle that lists the Summary implementation's address as the Registrar
    const {addresses, readCode} = await deployOnAnvil(testChain.chain())
    const summaryCode = (await readCode(addresses.Summary))!
    const contracts = {Registrar: {address: addresses.Summary, codeHash: keccak256(summaryCode)}}
    // Then the code is refused as not the compiled Registrar
    await expect(
      verifyBundleContracts({readCode, contracts, artifacts: testChain.compiled().artifacts}),
    ).rejects.toMatchObject({
      code: errorCodes.BUNDLE_CONTRACT_CODE,
      message: expect.stringContaining(`Registrar at ${addresses.Summary} runs other code`),
    })
  })

  it('refuses a code hash other than the code at the address, an address without code, an unknown name', async () => {
    const {addresses, readCode} = await deployOnAnvil(testChain.chain())
    const artifacts = testChain.compiled().artifacts
    const listed = await describeDeployedContracts(readCode, {Registrar: addresses.Registrar})
    const wrongHash = {Registrar: {...listed.Registrar!, codeHash: keccak256('0x00')}}
    await expect(verifyBundleContracts({readCode, contracts: wrongHash, artifacts})).rejects.toMatchObject({
      code: errorCodes.BUNDLE_CONTRACT_CODE,
      message: expect.stringContaining("not to the bundle's"),
    })
    const empty = {Registrar: {...listed.Registrar!, address: '0x000000000000000000000000000000000000dEaD' as const}}
    await expect(verifyBundleContracts({readCode, contracts: empty, artifacts})).rejects.toMatchObject({
      code: errorCodes.BUNDLE_CONTRACT_CODE,
      message: expect.stringContaining('There is no code'),
    })
    const unknown = {Backdoor: listed.Registrar!}
    await expect(verifyBundleContracts({readCode, contracts: unknown, artifacts})).rejects.toMatchObject({
      code: errorCodes.BUNDLE_CONTRACT_CODE,
      message: expect.stringContaining('"Backdoor"'),
    })
  })
})

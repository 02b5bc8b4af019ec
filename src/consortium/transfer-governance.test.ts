import {encodeFunctionData, zeroAddress, type Address} from 'viem'
import {describe, expect, it} from 'vitest'

import {consortiumAbi} from '../contracts/abi/consortium.js'
import {registrarAbi} from '../contracts/abi/registrar.js'
import {deployArtifact} from '../contracts/deploy-contracts.js'
import {clientsFor, newAccount, randomAddress, send} from '../contracts/testing/medrec-test-world.js'
import {errorCodes} from '../errors/error-codes.js'
import {listProposals} from './list-proposals.js'
import {refusalSendingNothing, useConsortiumChain, type ConsortiumNetwork} from './testing/consortium-network.js'
import {transferGovernance, type TransferGovernanceParameters} from './transfer-governance.js'

const ctx = useConsortiumChain()

/** A consortium of three sealers, and a successor Consortium (same members) deployed beside it. */
async function withSuccessor(): Promise<{net: ConsortiumNetwork; successor: Address}> {
  const net = await ctx.network()
  const {address: successor} = await deployArtifact({
    ...clientsFor(net.chain, await newAccount(net.chain)),
    artifact: ctx.compiled().artifacts.Consortium!,
    args: [net.registrar, net.sealers.map((s) => s.id), net.sealers.map((s) => s.address)],
  })
  return {net, successor}
}

const governance = async (net: ConsortiumNetwork) => {
  const read = (functionName: 'governance' | 'pendingGovernance') =>
    net.chain.publicClient.readContract({address: net.registrar, abi: registrarAbi, functionName})
  return {governing: await read('governance'), pending: await read('pendingGovernance')}
}

describe('consortium transfer-governance', () => {
  it('starts the handover only at a majority; the successor governs once it accepts', async () => {
    // Given a successor contract for the Registrar's governance
    const {net, successor} = await withSuccessor()

    // When one of three sealing providers votes
    const first = await transferGovernance({dir: net.dir, next: successor, as: 'sealer-1'})
    // Then it awaits votes and the Registrar has no pending governance
    expect(first).toMatchObject({
      proposal: 'transfer-governance',
      status: 'awaiting-votes',
      votes: 1,
      threshold: 2,
      votedBy: ['sealer-1'],
      registrar: net.registrar,
      governance: net.consortium,
      next: successor,
      pendingGovernance: zeroAddress,
    })
    expect(await governance(net)).toEqual({governing: net.consortium, pending: zeroAddress})
    expect((await listProposals({dir: net.dir})).proposals).toEqual([
      expect.objectContaining({action: 'transfer-governance', name: null, account: successor, votes: 1}),
    ])

    // When a second votes, the handover starts; the Consortium still governs
    const second = await transferGovernance({dir: net.dir, next: successor, as: 'sealer-3'})
    expect(second).toMatchObject({
      status: 'executed',
      votes: 2,
      pendingGovernance: successor,
      governance: net.consortium,
    })
    expect(await governance(net)).toEqual({governing: net.consortium, pending: successor})

    // When the successor accepts (anyone may ask it to), it governs
    const anyone = await newAccount(net.chain)
    const accept = encodeFunctionData({abi: consortiumAbi, functionName: 'acceptRegistrarGovernance'})
    await send(net.chain, anyone, successor, accept)
    expect(await governance(net)).toEqual({governing: successor, pending: zeroAddress})
    // And a re-run reports it done without a vote
    expect(await transferGovernance({dir: net.dir, next: successor, as: 'sealer-2'})).toMatchObject({
      status: 'executed',
      key: second.key,
      votes: 2,
      votedBy: ['sealer-1', 'sealer-3'],
      transaction: null,
      governance: successor,
    })
  })

  it('lets a majority cancel a pending handover with the zero address', async () => {
    const {net, successor} = await withSuccessor()
    await transferGovernance({dir: net.dir, next: successor, as: 'sealer-1'})
    await transferGovernance({dir: net.dir, next: successor, as: 'sealer-2'})
    const first = await transferGovernance({dir: net.dir, next: zeroAddress, as: 'sealer-2'})
    expect(first).toMatchObject({status: 'awaiting-votes', votes: 1, pendingGovernance: successor})
    const second = await transferGovernance({dir: net.dir, next: zeroAddress, as: 'sealer-3'})
    expect(second).toMatchObject({status: 'executed', pendingGovernance: zeroAddress})
    expect(await governance(net)).toEqual({governing: net.consortium, pending: zeroAddress})
  })

  it('refuses a successor without code, a key name, the Registrar and a non-member, sending nothing', async () => {
    const {net, successor} = await withSuccessor()
    await net.newKey('outsider')
    const refused = (request: Omit<TransferGovernanceParameters, 'dir'>) =>
      refusalSendingNothing(net, () => transferGovernance({dir: net.dir, ...request}))
    const noCode = await refused({next: randomAddress(), as: 'sealer-1'})
    expect(noCode.code).toBe(errorCodes.INVALID_ARGUMENT)
    expect(noCode.message).toContain('no contract code')
    expect((await refused({next: 'outsider', as: 'sealer-1'})).code).toBe(errorCodes.INVALID_ARGUMENT)
    expect((await refused({next: successor, as: 'outsider'})).code).toBe(errorCodes.NOT_CONSORTIUM_MEMBER)
    expect((await refused({next: net.registrar, as: 'sealer-1'})).code).toBe(errorCodes.INVALID_ARGUMENT)
    expect((await refused({next: zeroAddress, as: 'sealer-1'})).code).toBe(errorCodes.INVALID_ARGUMENT)
  })
})

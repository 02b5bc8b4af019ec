import {getAddress} from 'viem'
import {describe, expect, it} from 'vitest'

import {registrarAbi} from '../contracts/abi/registrar.js'
import {consortiumRead, randomAddress} from '../contracts/testing/medrec-test-world.js'
import {errorCodes} from '../errors/error-codes.js'
import {listProposals} from './list-proposals.js'
import {providerIdentity} from './provider-identity.js'
import {recoverSteward, type RecoverStewardParameters} from './recover-steward.js'
import {
  addNodelessProvider,
  refusalSendingNothing,
  useConsortiumChain,
  type ConsortiumNetwork,
} from './testing/consortium-network.js'

const ctx = useConsortiumChain()

/** A consortium of three sealers that admitted `clinic`, a provider without a node (so not a member). */
async function withClinic(): Promise<ConsortiumNetwork> {
  const net = await ctx.network()
  const added = await addNodelessProvider(net, 'clinic')
  expect(added).toMatchObject({status: 'done', whitelist: {passed: true, votes: 2, threshold: 2}})
  return net
}

const accountOf = async (net: ConsortiumNetwork, name: string) => {
  const registrar = {address: net.registrar, abi: registrarAbi} as const
  const id = providerIdentity(name)
  const p = await net.chain.publicClient.readContract({...registrar, functionName: 'participant', args: [id]})
  return getAddress(p.account)
}

/** What recover-steward refuses `request` with, having sent nothing. */
const refused = (net: ConsortiumNetwork, request: Omit<RecoverStewardParameters, 'dir'>) =>
  refusalSendingNothing(net, () => recoverSteward({dir: net.dir, ...request}))

describe('consortium recover-steward', () => {
  it('waits for a majority, then moves the steward to its new account', async () => {
    // Given a whitelisted clinic whose key was lost
    const net = await withClinic()
    const before = await accountOf(net, 'clinic')
    const to = randomAddress()

    // When one of three sealing providers votes
    const first = await recoverSteward({dir: net.dir, steward: 'clinic', to, as: 'sealer-1'})
    // Then the proposal waits for more votes, and nothing has moved
    expect(first).toMatchObject({
      proposal: 'recover-steward',
      status: 'awaiting-votes',
      votes: 1,
      threshold: 2,
      votedBy: ['sealer-1'],
      steward: {name: 'clinic', id: providerIdentity('clinic'), kind: 'provider'},
      from: before,
      to,
      transaction: expect.stringMatching(/^0x[0-9a-f]{64}$/),
    })
    expect(await accountOf(net, 'clinic')).toBe(before)
    expect((await listProposals({dir: net.dir})).proposals).toEqual([
      expect.objectContaining({
        action: 'recover-steward',
        name: 'clinic',
        account: to,
        votes: 1,
        votedBy: ['sealer-1'],
      }),
    ])

    // When the same member runs it again, no second vote is sent
    const again = await recoverSteward({dir: net.dir, steward: 'clinic', to, as: 'sealer-1'})
    expect(again).toMatchObject({status: 'awaiting-votes', votes: 1, transaction: null})

    // When a second member votes, the majority moves the clinic
    const second = await recoverSteward({dir: net.dir, steward: 'clinic', to, as: 'sealer-2'})
    expect(second).toMatchObject({status: 'executed', votes: 2, threshold: 2, votedBy: ['sealer-1', 'sealer-2']})
    expect(await accountOf(net, 'clinic')).toBe(to)
    expect((await listProposals({dir: net.dir})).proposals).toEqual([])
    // And a re-run reports that execution without voting again
    expect(await recoverSteward({dir: net.dir, steward: 'clinic', to, as: 'sealer-3'})).toMatchObject({
      status: 'executed',
      key: second.key,
      votes: 2,
      votedBy: ['sealer-1', 'sealer-2'],
      transaction: null,
    })
  })

  it('refuses a voter that is not a sealing member before anything is sent', async () => {
    const net = await withClinic()
    const to = randomAddress()
    // The clinic is a certified provider, but without a seat it has no vote
    expect((await refused(net, {steward: 'sealer-3', to, as: 'clinic'})).code).toBe(errorCodes.NOT_CONSORTIUM_MEMBER)
    // A name with no key here is a plain bad argument
    expect((await refused(net, {steward: 'clinic', to, as: 'nobody'})).code).toBe(errorCodes.INVALID_ARGUMENT)
  })

  it('refuses a sealing member with SEALING_MEMBER_NEEDS_READMISSION, saying to remove and re-admit it', async () => {
    // Given sealer-3, a member whose account is also its Clique signer
    const net = await ctx.network()
    const to = randomAddress()
    // When another member votes to recover it in place
    const error = await refused(net, {steward: 'sealer-3', to, as: 'sealer-1'})
    // Then the contract's refusal comes back as its own code, with the way out
    expect(error.code).toBe(errorCodes.SEALING_MEMBER_NEEDS_READMISSION)
    expect(error.hint).toContain('medrec provider remove sealer-3')
    expect(error.hint).toContain('medrec provider add sealer-3 --sealer')
    // And no vote was counted
    const key = await consortiumRead(net.chain, net.consortium).proposalKey([
      3,
      providerIdentity('sealer-3'),
      to,
      false,
    ])
    expect(await consortiumRead(net.chain, net.consortium).votes([key])).toBe(0n)
  })

  it('refuses an unknown steward, a malformed address, an account that belongs to someone and its own', async () => {
    const net = await withClinic()
    const unknown = await refused(net, {steward: 'no-such-clinic', to: randomAddress(), as: 'sealer-1'})
    expect(unknown.code).toBe(errorCodes.INVALID_ARGUMENT)
    expect(unknown.message).toContain('no-such-clinic')
    const badAddress = await refused(net, {steward: 'clinic', to: '0x1234', as: 'sealer-1'})
    expect(badAddress.code).toBe(errorCodes.INVALID_ARGUMENT)
    const taken = await refused(net, {steward: 'clinic', to: net.sealers[0]!.address, as: 'sealer-1'})
    expect(taken.code).toBe(errorCodes.INVALID_ARGUMENT)
    // Its own account: nothing to recover, and no vote for a proposal that could never mean anything
    const same = await refused(net, {steward: 'clinic', to: await accountOf(net, 'clinic'), as: 'sealer-1'})
    expect(same.code).toBe(errorCodes.INVALID_ARGUMENT)
    expect(same.message).toContain('nothing to recover')
  })
})

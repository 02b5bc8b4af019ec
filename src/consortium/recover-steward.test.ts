import {getAddress} from 'viem'
import {generatePrivateKey, privateKeyToAccount} from 'viem/accounts'
import {describe, expect, it} from 'vitest'

import {registrarAbi} from '../contracts/abi/registrar.js'
import {consortiumAbi} from '../contracts/abi/consortium.js'
import {useMedrecChain} from '../contracts/testing/test-context.js'
import {DockerodeEngine} from '../docker/dockerode-engine.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {addProvider} from './add-provider.js'
import {listProposals} from './list-proposals.js'
import {providerIdentity} from './provider-identity.js'
import {recoverSteward} from './recover-steward.js'
import {consortiumNetwork, consortiumTestChainId, type ConsortiumNetwork} from './testing/consortium-network.js'

const ctx = useMedrecChain({chainId: consortiumTestChainId})

/** A consortium of three sealers that admitted `clinic`, a provider without a node (so not a member). */
async function withClinic(): Promise<ConsortiumNetwork> {
  const net = await consortiumNetwork(ctx.chain(), ctx.compiled().artifacts)
  // A non-sealer never touches Docker: the engine is never called.
  const engine = new DockerodeEngine()
  const added = await addProvider({dir: net.dir, engine, name: 'clinic', sealer: false, lightKdf: true})
  expect(added).toMatchObject({status: 'done', whitelist: {passed: true, votes: 2, threshold: 2}})
  return net
}

const accountOf = async (net: ConsortiumNetwork, name: string) => {
  const registrar = {address: net.registrar, abi: registrarAbi} as const
  const id = providerIdentity(name)
  const p = await net.chain.publicClient.readContract({...registrar, functionName: 'participant', args: [id]})
  return getAddress(p.account)
}

const freshAddress = () => privateKeyToAccount(generatePrivateKey()).address

async function refusal(action: Promise<unknown>): Promise<MedrecError> {
  const error = await action.then(
    () => expect.fail('expected a refusal'),
    (e: unknown) => e,
  )
  if (!(error instanceof MedrecError)) throw error
  return error
}

describe('consortium recover-steward', () => {
  it('waits for a majority, then moves the steward to its new account', async () => {
    // Given a whitelisted clinic whose key was lost
    const net = await withClinic()
    const before = await accountOf(net, 'clinic')
    const to = freshAddress()

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
    const head = await net.head()
    // The clinic is a certified provider, but without a seat it has no vote
    const to = freshAddress()
    const notMember = await refusal(recoverSteward({dir: net.dir, steward: 'sealer-3', to, as: 'clinic'}))
    expect(notMember.code).toBe(errorCodes.NOT_CONSORTIUM_MEMBER)
    // A name with no key here is a plain bad argument
    const unknown = await refusal(recoverSteward({dir: net.dir, steward: 'clinic', to, as: 'nobody'}))
    expect(unknown.code).toBe(errorCodes.INVALID_ARGUMENT)
    expect(await net.head()).toBe(head)
  })

  it('refuses a sealing member with SEALING_MEMBER_NEEDS_READMISSION, saying to remove and re-admit it', async () => {
    // Given sealer-3, a member whose account is also its Clique signer
    const net = await consortiumNetwork(ctx.chain(), ctx.compiled().artifacts)
    const to = freshAddress()
    // When another member votes to recover it in place
    const error = await refusal(recoverSteward({dir: net.dir, steward: 'sealer-3', to, as: 'sealer-1'}))
    // Then the contract's refusal comes back as its own code, with the way out
    expect(error.code).toBe(errorCodes.SEALING_MEMBER_NEEDS_READMISSION)
    expect(error.hint).toContain('medrec provider remove sealer-3')
    expect(error.hint).toContain('medrec provider add sealer-3 --sealer')
    // And no vote was counted
    const key = await net.chain.publicClient.readContract({
      address: net.consortium,
      abi: consortiumAbi,
      functionName: 'proposalKey',
      args: [3, providerIdentity('sealer-3'), to, false],
    })
    expect(
      await net.chain.publicClient.readContract({
        address: net.consortium,
        abi: consortiumAbi,
        functionName: 'votes',
        args: [key],
      }),
    ).toBe(0n)
  })

  it('refuses an unknown steward, a malformed address, an account that belongs to someone and its own', async () => {
    const net = await withClinic()
    const head = await net.head()
    const to = freshAddress()
    const unknown = await refusal(recoverSteward({dir: net.dir, steward: 'no-such-clinic', to, as: 'sealer-1'}))
    expect(unknown.code).toBe(errorCodes.INVALID_ARGUMENT)
    expect(unknown.message).toContain('no-such-clinic')
    const badAddress = await refusal(recoverSteward({dir: net.dir, steward: 'clinic', to: '0x1234', as: 'sealer-1'}))
    expect(badAddress.code).toBe(errorCodes.INVALID_ARGUMENT)
    const sealerAccount = net.sealers[0]!.address
    const taken = await refusal(recoverSteward({dir: net.dir, steward: 'clinic', to: sealerAccount, as: 'sealer-1'}))
    expect(taken.code).toBe(errorCodes.INVALID_ARGUMENT)
    // Its own account: nothing to recover, and no vote for a proposal that could never mean anything
    const current = await accountOf(net, 'clinic')
    const same = await refusal(recoverSteward({dir: net.dir, steward: 'clinic', to: current, as: 'sealer-1'}))
    expect(same.code).toBe(errorCodes.INVALID_ARGUMENT)
    expect(same.message).toContain('nothing to recover')
    expect(await net.head()).toBe(head)
  })
})

import {getAddress} from 'viem'
import {privateKeyToAccount, generatePrivateKey} from 'viem/accounts'
import {describe, expect, it} from 'vitest'

import {clientsFor} from '../contracts/testing/medrec-test-world.js'
import {errorCodes} from '../errors/error-codes.js'
import {castOneKeyProviderVote, openProviderProposal, type OneKeyVoter} from './member-provider-vote.js'
import {providerIdentity} from './provider-identity.js'
import {refusalSendingNothing, useConsortiumChain, type ConsortiumNetwork} from './testing/consortium-network.js'
import {consortiumRead} from '../contracts/testing/medrec-test-world.js'

const ctx = useConsortiumChain()

/** Member `name` acting alone: only its own key, as on its own host. */
async function memberAlone(net: ConsortiumNetwork, name: string): Promise<OneKeyVoter> {
  const {publicClient, walletClient} = clientsFor(net.chain, await net.account(name))
  return {publicClient, walletClient, registrar: net.registrar, consortium: net.consortium}
}

describe('a member votes on a joiner with its own key alone', () => {
  it('admits a joiner once two of three members voted from their own keys, and removes it alike', async () => {
    const net = await ctx.network()
    const joiner = getAddress(privateKeyToAccount(generatePrivateKey()).address)
    const [first, second, third] = await Promise.all(
      ['sealer-1', 'sealer-2', 'sealer-3'].map((n) => memberAlone(net, n)),
    )

    // When sealer-1 proposes st-anne, the proposal waits for more votes and is readable by the others
    const proposed = await castOneKeyProviderVote(first!, {action: 'admit', name: 'st-anne', account: joiner})
    expect(proposed).toMatchObject({status: 'awaiting-votes', votes: 1, threshold: 2, account: joiner})
    expect(await openProviderProposal(second!, 'st-anne')).toEqual({action: 'admit', name: 'st-anne', account: joiner})

    // When sealer-2 approves, st-anne becomes a voting member
    const approved = await castOneKeyProviderVote(second!, {action: 'admit', name: 'st-anne', account: joiner})
    expect(approved).toMatchObject({status: 'executed', votes: 2, threshold: 2})
    expect(await consortiumRead(net.chain, net.consortium).isMember([providerIdentity('st-anne')])).toBe(true)

    // Removal: two of the four members' votes do not pass it, a third does
    const removal = {action: 'remove', name: 'st-anne'} as const
    expect(await castOneKeyProviderVote(third!, removal)).toMatchObject({
      status: 'awaiting-votes',
      votes: 1,
      threshold: 3,
    })
    expect(await castOneKeyProviderVote(first!, removal)).toMatchObject({status: 'awaiting-votes', votes: 2})
    expect(await castOneKeyProviderVote(second!, removal)).toMatchObject({status: 'executed', votes: 3})
    expect(await consortiumRead(net.chain, net.consortium).isMember([providerIdentity('st-anne')])).toBe(false)
  })

  it('refuses a second vote by the same member, naming the block of its first, and sends nothing', async () => {
    const net = await ctx.network()
    const joiner = getAddress(privateKeyToAccount(generatePrivateKey()).address)
    const first = await memberAlone(net, 'sealer-1')
    const request = {action: 'admit', name: 'st-anne', account: joiner} as const
    const cast = await castOneKeyProviderVote(first, request)

    const error = await refusalSendingNothing(net, () => castOneKeyProviderVote(first, request))
    expect(error.code).toBe(errorCodes.ALREADY_VOTED)
    expect(error.message).toContain(`at block ${cast.block}`)

    // Also after the proposal has passed: the member who voted is refused again, not told it passed
    await castOneKeyProviderVote(await memberAlone(net, 'sealer-2'), request)
    const again = await refusalSendingNothing(net, () => castOneKeyProviderVote(first, request))
    expect(again.code).toBe(errorCodes.ALREADY_VOTED)
  })

  it('refuses a vote from a key that is not a voting member, sending nothing', async () => {
    const net = await ctx.network()
    await net.newKey('clinic')
    const outsider = await memberAlone(net, 'clinic')
    const request = {action: 'admit', name: 'st-anne', account: net.sealers[0]!.address} as const
    const error = await refusalSendingNothing(net, () => castOneKeyProviderVote(outsider, request))
    expect(error.code).toBe(errorCodes.NOT_CONSORTIUM_MEMBER)
  })
})

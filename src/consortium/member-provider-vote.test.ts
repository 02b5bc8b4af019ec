import {getAddress} from 'viem'
import {privateKeyToAccount, generatePrivateKey} from 'viem/accounts'
import {describe, expect, it, vi} from 'vitest'

import {clientsFor} from '../contracts/testing/medrec-test-world.js'
import {errorCodes} from '../errors/error-codes.js'
import {
  castOneKeyProviderVote,
  openProviderProposal,
  withdrawOneKeyProviderVote,
  type OneKeyVoter,
} from './member-provider-vote.js'
import {providerIdentity} from './provider-identity.js'
import {refusalSendingNothing, useConsortiumChain, type ConsortiumNetwork} from './testing/consortium-network.js'
import {consortiumRead} from '../contracts/testing/medrec-test-world.js'

const ctx = useConsortiumChain()

/** Member `name` acting alone: only its own key, as on its own host. */
async function memberAlone(net: ConsortiumNetwork, name: string): Promise<OneKeyVoter> {
  const {publicClient, walletClient} = clientsFor(net.chain, await net.account(name))
  return {publicClient, walletClient, registrar: net.registrar, consortium: net.consortium}
}

/** The three founding members sealer-1…3, each acting alone. */
function foundersAlone(net: ConsortiumNetwork): Promise<OneKeyVoter[]> {
  return Promise.all(['sealer-1', 'sealer-2', 'sealer-3'].map((n) => memberAlone(net, n)))
}

/** A fresh chain, its founders each acting alone, and a request to admit the new provider st-anne with its own key. */
async function stAnneAdmission() {
  const net = await ctx.network()
  const [first, second, third] = await foundersAlone(net)
  const request = {action: 'admit', name: 'st-anne', account: await net.newKey('st-anne')} as const
  return {net, request, first: first!, second: second!, third: third!}
}

describe('a member votes on a joiner with its own key alone', () => {
  it('admits a joiner once two of three members voted from their own keys, and removes it alike', async () => {
    const net = await ctx.network()
    const joiner = getAddress(privateKeyToAccount(generatePrivateKey()).address)
    const [first, second, third] = await foundersAlone(net)

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

describe('a member takes back its own vote on a provider', () => {
  it('withdraws its vote: the proposal counts one vote less, and the member may vote again', async () => {
    const net = await ctx.network()
    const joiner = getAddress(privateKeyToAccount(generatePrivateKey()).address)
    const [first, second] = await foundersAlone(net)
    const request = {action: 'admit', name: 'st-anne', account: joiner} as const
    await castOneKeyProviderVote(first!, request)

    // When sealer-1 withdraws the vote it proposed with
    const withdrawn = await withdrawOneKeyProviderVote(first!, 'st-anne')
    // Then the proposal has no votes left, and the withdrawal names the joiner's account (its Clique vote's target)
    expect(withdrawn).toMatchObject({action: 'admit', name: 'st-anne', account: joiner, votes: 0, threshold: 2})
    expect(withdrawn.transaction).toMatch(/^0x[0-9a-f]{64}$/)
    expect(withdrawn.block).toBe(Number(await net.head()))
    // And sealer-2's vote alone does not pass it; sealer-1 voting again does
    expect(await castOneKeyProviderVote(second!, request)).toMatchObject({status: 'awaiting-votes', votes: 1})
    expect(await castOneKeyProviderVote(first!, request)).toMatchObject({status: 'executed', votes: 2})
  })

  it('withdraws a removal vote, naming the registered account', async () => {
    const net = await ctx.network()
    const first = await memberAlone(net, 'sealer-1')
    await castOneKeyProviderVote(first, {action: 'remove', name: 'sealer-3'})
    expect(await withdrawOneKeyProviderVote(first, 'sealer-3')).toMatchObject({
      action: 'remove',
      account: net.sealers[2]!.address,
      votes: 0,
      threshold: 2,
    })
  })

  it('sends nothing for a vote that no longer counts: withdrawn, or lapsed with a change of members', async () => {
    const net = await ctx.network()
    const [first, second, third] = await foundersAlone(net)
    const joiner = getAddress(privateKeyToAccount(generatePrivateKey()).address)
    await castOneKeyProviderVote(first!, {action: 'admit', name: 'st-anne', account: joiner})
    await withdrawOneKeyProviderVote(first!, 'st-anne')
    const head = await net.head()
    expect(await withdrawOneKeyProviderVote(first!, 'st-anne')).toMatchObject({transaction: null, block: null})
    expect(await net.head()).toBe(head)

    // When sealer-1 votes for st-anne again, and the others admit another provider meanwhile (the member set changes)
    await castOneKeyProviderVote(first!, {action: 'admit', name: 'st-anne', account: joiner})
    const other = {action: 'admit', name: 'lakeside', account: await net.newKey('lakeside')} as const
    await castOneKeyProviderVote(second!, other)
    expect(await castOneKeyProviderVote(third!, other)).toMatchObject({status: 'executed'})
    // Then sealer-1's vote for st-anne has lapsed: nothing to withdraw on chain, and nothing is sent
    const atLapse = await net.head()
    expect(await withdrawOneKeyProviderVote(first!, 'st-anne')).toMatchObject({
      transaction: null,
      votes: 0,
      threshold: 3,
    })
    expect(await net.head()).toBe(atLapse)
  })

  it('sends nothing, and does not call it passed, for a vote withdrawn before the others passed it', async () => {
    const {net, request, first, second, third} = await stAnneAdmission()
    await castOneKeyProviderVote(first, request)
    await withdrawOneKeyProviderVote(first, 'st-anne')
    await castOneKeyProviderVote(second, request)
    expect(await castOneKeyProviderVote(third, request)).toMatchObject({status: 'executed'})
    const head = await net.head()
    expect(await withdrawOneKeyProviderVote(first, 'st-anne')).toMatchObject({transaction: null, block: null})
    expect(await net.head()).toBe(head)
  })

  it('does not call a vote passed when a later proposal reversed the change it voted for', async () => {
    const {net, request, first, second, third} = await stAnneAdmission()
    await castOneKeyProviderVote(first, request)
    await castOneKeyProviderVote(second, request)
    // When the others remove st-anne again without sealer-1 (3 of the 4 members)
    const stAnne = await memberAlone(net, 'st-anne')
    for (const member of [second, third, stAnne])
      await castOneKeyProviderVote(member, {action: 'remove', name: 'st-anne'})
    // Then sealer-1's admission vote is old history: nothing to withdraw, not "passed"
    expect(await withdrawOneKeyProviderVote(first, 'st-anne')).toMatchObject({action: 'admit', transaction: null})
  })

  it('says the change stands when the deciding vote is mined before the withdrawal', async () => {
    const {net, request, first, second} = await stAnneAdmission()
    await castOneKeyProviderVote(first, request)
    // When sealer-2's deciding vote and sealer-1's withdrawal wait in one block, the deciding vote first
    const {testClient} = net.chain
    await testClient.setAutomine(false)
    try {
      const deciding = castOneKeyProviderVote(second, request)
      await vi.waitFor(async () => expect((await testClient.getTxpoolStatus()).pending).toBe(1), {timeout: 10_000})
      const withdrawal = withdrawOneKeyProviderVote(first, 'st-anne').catch((e: unknown) => e)
      await vi.waitFor(async () => expect((await testClient.getTxpoolStatus()).pending).toBe(2), {timeout: 10_000})
      await testClient.mine({blocks: 1})
      expect(await deciding).toMatchObject({status: 'executed'})
      // Then the withdrawal took back nothing that counted: refused, naming the block the change passed in
      const refused = await withdrawal
      expect(refused).toMatchObject({code: errorCodes.INVALID_ARGUMENT})
      expect((refused as Error).message).toContain('before your withdrawal was mined')
    } finally {
      await testClient.setAutomine(true)
    }
  })

  it('refuses, sending nothing: a member that never voted, a passed vote, a key that is not a member', async () => {
    const net = await ctx.network()
    const [first, second] = await foundersAlone(net)
    const never = await refusalSendingNothing(net, () => withdrawOneKeyProviderVote(first!, 'st-anne'))
    expect(never.code).toBe(errorCodes.NOT_VOTED)

    const request = {action: 'admit', name: 'st-anne', account: await net.newKey('st-anne')} as const
    await castOneKeyProviderVote(first!, request)
    const passed = await castOneKeyProviderVote(second!, request)
    const decided = await refusalSendingNothing(net, () => withdrawOneKeyProviderVote(first!, 'st-anne'))
    expect(decided.code).toBe(errorCodes.INVALID_ARGUMENT)
    expect(decided.message).toContain(`passed at block ${passed.block}`)
    expect(decided.hint).toContain('medrec provider remove st-anne')

    await net.newKey('clinic')
    const outsider = await refusalSendingNothing(net, async () =>
      withdrawOneKeyProviderVote(await memberAlone(net, 'clinic'), 'st-anne'),
    )
    expect(outsider.code).toBe(errorCodes.NOT_CONSORTIUM_MEMBER)
  })
})

import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {loadNetwork} from '../workspace/load-network.js'
import {changeRecordedVotes} from '../workspace/save-recorded-votes.js'
import {approveProvider} from './approve-provider.js'
import {withdrawProviderVote} from './withdraw-provider-vote.js'
import {
  addNodelessProvider,
  nodelessEngine as engine,
  refusalSendingNothing,
  useConsortiumChain,
  type ConsortiumNetwork,
} from './testing/consortium-network.js'

const ctx = useConsortiumChain()

/** The Clique votes state.json records (the intent `up` and the reconciler cast again). */
const recordedVotes = async (net: ConsortiumNetwork) => (await loadNetwork(net.dir)).state.votes

/** Records that `sealers` vote in Clique to add `address`, as `provider approve` does for a sealing provider. */
async function recordCliqueVote(net: ConsortiumNetwork, address: string, sealers: string[]) {
  const proposedAt = new Date().toISOString()
  await changeRecordedVotes(await loadNetwork(net.dir), () => ({
    [address.toLowerCase()]: {authorize: true, sealers, proposedAt},
  }))
}

describe('provider withdraw in a network workspace', () => {
  it("takes back one provider's votes, on chain and in the recorded Clique votes; the others' stay", async () => {
    // Given sealer-1's proposal to admit the clinic, and Clique votes recorded for sealer-1 and sealer-2
    const net = await ctx.network()
    const {account} = await addNodelessProvider(net, 'clinic', ['sealer-1'])
    const key = account.toLowerCase()
    await recordCliqueVote(net, account, ['sealer-1', 'sealer-2'])

    // When sealer-1 withdraws
    const withdrawn = await withdrawProviderVote({dir: net.dir, engine, name: 'clinic', as: 'sealer-1'})
    // Then its on-chain vote is gone, and only sealer-2's Clique vote is still recorded
    expect(withdrawn).toMatchObject({
      action: 'admit',
      name: 'clinic',
      account,
      voter: 'sealer-1',
      whitelist: {votes: 0, threshold: 2, block: Number(await net.head())},
      clique: {discarded: true},
    })
    expect((await recordedVotes(net))[key]?.sealers).toEqual(['sealer-2'])

    // When it runs again: nothing is left to withdraw, refused, nothing sent and nothing changed
    const again = await refusalSendingNothing(net, () =>
      withdrawProviderVote({dir: net.dir, engine, name: 'clinic', as: 'sealer-1'}),
    )
    expect(again.code).toBe(errorCodes.NOT_VOTED)
    expect(again.hint).toContain('medrec provider approve clinic --as sealer-1')
    expect((await recordedVotes(net))[key]?.sealers).toEqual(['sealer-2'])
  })

  it('finishes the Clique half once the on-chain vote is gone, forgetting a vote nobody else holds', async () => {
    // Given sealer-2's vote for the clinic, and its recorded Clique vote; the on-chain vote then withdrawn
    const net = await ctx.network()
    await addNodelessProvider(net, 'clinic', ['sealer-1'])
    await approveProvider({dir: net.dir, engine, name: 'clinic', as: 'sealer-2'})
    const {account: joiner} = await addNodelessProvider(net, 'lab', ['sealer-2'])
    await recordCliqueVote(net, joiner, ['sealer-2'])
    await withdrawProviderVote({dir: net.dir, engine, name: 'lab', as: 'sealer-2'})
    await recordCliqueVote(net, joiner, ['sealer-2'])

    // When sealer-2 withdraws again (as after a stop between the two halves): nothing sent, the Clique vote forgotten
    const head = await net.head()
    const finished = await withdrawProviderVote({dir: net.dir, engine, name: 'lab', as: 'sealer-2'})
    expect(finished).toMatchObject({whitelist: {transaction: null, block: null, votes: 0}, clique: {discarded: true}})
    expect(await net.head()).toBe(head)
    expect(await recordedVotes(net)).not.toHaveProperty(joiner.toLowerCase())
    // And a passed proposal is not withdrawn: the clinic's admission stands
    const decided = await refusalSendingNothing(net, () =>
      withdrawProviderVote({dir: net.dir, engine, name: 'clinic', as: 'sealer-2'}),
    )
    expect(decided.code).toBe(errorCodes.INVALID_ARGUMENT)
    expect(decided.message).toContain('admit clinic passed at block')
  })

  it('refuses --as naming no sealing provider key of this directory, sending nothing', async () => {
    const net = await ctx.network()
    await addNodelessProvider(net, 'clinic', ['sealer-1'])
    const error = await refusalSendingNothing(net, () =>
      withdrawProviderVote({dir: net.dir, engine, name: 'clinic', as: 'nobody'}),
    )
    expect(error.code).toBe(errorCodes.INVALID_ARGUMENT)
  })
})

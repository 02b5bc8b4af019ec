import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {approveProvider} from './approve-provider.js'
import {providerIdentity} from './provider-identity.js'
import {removeProvider} from './remove-provider.js'
import {
  addNodelessProvider,
  nodelessEngine as engine,
  useConsortiumChain,
  type ConsortiumNetwork,
} from './testing/consortium-network.js'
import {registrarRead} from '../contracts/testing/medrec-test-world.js'

const ctx = useConsortiumChain()

const certified = async (net: ConsortiumNetwork, name: string) =>
  (await registrarRead(net.chain, net.registrar).participant([providerIdentity(name)])).certified

describe('provider add, approve and remove, each member voting with its own key', () => {
  it('admits and removes a provider without a node once a majority has voted', async () => {
    const net = await ctx.network()

    // When sealer-1 alone proposes the clinic, it waits; sealer-2's approval admits it
    const proposed = await addNodelessProvider(net, 'clinic', ['sealer-1'])
    expect(proposed).toMatchObject({
      action: 'admit',
      status: 'awaiting-votes',
      sealer: false,
      whitelist: {votes: 1, threshold: 2, passed: false, votedBy: ['sealer-1']},
      clique: null,
    })
    expect(await certified(net, 'clinic')).toBe(false)
    const approved = await approveProvider({dir: net.dir, engine, name: 'clinic', as: 'sealer-2'})
    expect(approved).toMatchObject({action: 'admit', status: 'done', whitelist: {votes: 2, threshold: 2, passed: true}})
    expect(await certified(net, 'clinic')).toBe(true)

    // When sealer-3 alone votes it off, it waits; a second run naming sealer-1 too removes it with one more
    // vote (approving a removal asks Clique whether it seals, which anvil cannot answer)
    const removal = await removeProvider({dir: net.dir, engine, name: 'clinic', voteAs: ['sealer-3']})
    expect(removal).toMatchObject({action: 'remove', status: 'awaiting-votes', whitelist: {votes: 1, passed: false}})
    const removed = await removeProvider({dir: net.dir, engine, name: 'clinic', voteAs: ['sealer-3', 'sealer-1']})
    expect(removed).toMatchObject({action: 'remove', status: 'done', whitelist: {passed: true, votes: 2}})
    expect(removed.whitelist.transactions).toHaveLength(1)
    expect(await certified(net, 'clinic')).toBe(false)
  })

  it('refuses an approval from a key that is not a sealing provider here', async () => {
    const net = await ctx.network()
    await addNodelessProvider(net, 'clinic', ['sealer-1'])
    const head = await net.head()
    const error = await approveProvider({dir: net.dir, engine, name: 'clinic', as: 'clinic'}).catch((e: unknown) => e)
    expect(error).toMatchObject({code: errorCodes.INVALID_ARGUMENT})
    expect(await net.head()).toBe(head)
  })
})

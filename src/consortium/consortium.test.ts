import {createWalletClient, encodeFunctionData, http, type Address, type Hex, type LocalAccount} from 'viem'
import {describe, expect, it} from 'vitest'

import {consortiumAbi} from '../contracts/abi/consortium.js'
import {registrarAbi} from '../contracts/abi/registrar.js'
import {deployMedrecWorld, newAccount, randomIdentity, send, type MedrecWorld, type Member} from '../contracts/testing/medrec-test-world.js'
import {expectEvent, expectRevert, useMedrecChain} from '../contracts/testing/test-context.js'
import {establishConsortium} from './deploy-consortium.js'

const ctx = useMedrecChain()

type ConsortiumWorld = MedrecWorld & {consortium: Address; founders: Member[]}

/** A MedRec world whose Registrar is governed by a Consortium of three sealing providers. */
async function consortiumWorld(): Promise<ConsortiumWorld> {
  const world = await deployMedrecWorld(ctx.chain(), ctx.compiled().artifacts)
  const third: Member = {account: await newAccount(world.chain), id: randomIdentity()}
  const founders = [world.provider, world.otherProvider, third]
  const walletClient = createWalletClient({account: world.governance, chain: world.chain.chain, transport: http(world.chain.chain.rpcUrls.default.http[0])})
  const {consortium} = await establishConsortium({
    walletClient,
    publicClient: world.chain.publicClient,
    registrar: world.registrar,
    artifact: ctx.compiled().artifacts.Consortium!,
    founders: founders.map((f) => ({id: f.id, account: f.account.address})),
  })
  return {...world, consortium, founders}
}

const call = (w: ConsortiumWorld, from: LocalAccount, data: Hex) => send(w.chain, from, w.consortium, data)
const admit = (w: ConsortiumWorld, from: LocalAccount, id: Hex, account: Address, sealer: boolean) =>
  call(w, from, encodeFunctionData({abi: consortiumAbi, functionName: 'voteAdmit', args: [id, account, sealer]}))
const remove = (w: ConsortiumWorld, from: LocalAccount, id: Hex) => call(w, from, encodeFunctionData({abi: consortiumAbi, functionName: 'voteRemove', args: [id]}))
const read = async <T>(w: ConsortiumWorld, functionName: 'memberCount' | 'threshold' | 'generation'): Promise<T> =>
  (await w.chain.publicClient.readContract({address: w.consortium, abi: consortiumAbi, functionName})) as T
const participant = (w: ConsortiumWorld, id: Hex) => w.chain.publicClient.readContract({address: w.registrar, abi: registrarAbi, functionName: 'participant', args: [id]})
const memberProvider = (w: ConsortiumWorld, account: Address) => w.chain.publicClient.readContract({address: w.consortium, abi: consortiumAbi, functionName: 'memberProvider', args: [account]})

describe('Consortium', () => {
  it('takes over the Registrar\'s governance, with the founders as members and Clique\'s threshold', async () => {
    // Given a world handed over to a consortium of three
    const w = await consortiumWorld()
    // Then the consortium governs, three members vote, and two of them decide
    expect(await w.chain.publicClient.readContract({address: w.registrar, abi: registrarAbi, functionName: 'governance'})).toBe(w.consortium)
    expect(await read<bigint>(w, 'memberCount')).toBe(3n)
    expect(await read<bigint>(w, 'threshold')).toBe(2n)
    for (const f of w.founders) expect(await memberProvider(w, f.account.address)).toBe(f.id)
    // And the former admin can no longer certify anyone
    await expectRevert(w.registrarSend(w.governance, 'registerProvider', [randomIdentity(), w.stranger.address]), 'NotGovernance')
  })

  it('resumes a handover that stopped half-way and leaves a finished one alone', async () => {
    // Given a finished handover
    const w = await consortiumWorld()
    const walletClient = createWalletClient({account: w.governance, chain: w.chain.chain, transport: http(w.chain.chain.rpcUrls.default.http[0])})
    // When it is run again with the stored address
    const again = await establishConsortium({
      walletClient,
      publicClient: w.chain.publicClient,
      registrar: w.registrar,
      artifact: ctx.compiled().artifacts.Consortium!,
      founders: w.founders.map((f) => ({id: f.id, account: f.account.address})),
      existing: w.consortium,
    })
    // Then nothing is deployed or sent
    expect(again).toEqual({consortium: w.consortium, deployed: false, registeredFounders: []})
  })

  it('admits a provider only when a majority of the sealing providers has voted', async () => {
    const w = await consortiumWorld()
    const newcomer = {account: await newAccount(w.chain), id: randomIdentity()}
    // When one of three votes
    const first = await admit(w, w.founders[0]!.account, newcomer.id, newcomer.account.address, true)
    // Then nothing changes yet
    expectEvent(first, 'VoteCast', expect.objectContaining({voter: w.founders[0]!.account.address, count: 1n, threshold: 2n}) as never)
    expect((await participant(w, newcomer.id)).certified).toBe(false)
    // When a second votes
    const second = await admit(w, w.founders[1]!.account, newcomer.id, newcomer.account.address, true)
    // Then the provider is registered, certified and a voting member; the threshold follows
    expectEvent(second, 'ProviderCertified', {id: newcomer.id}, w.registrar)
    expectEvent(second, 'MemberAdded', {account: newcomer.account.address, provider: newcomer.id}, w.consortium)
    expect(await participant(w, newcomer.id)).toMatchObject({account: newcomer.account.address, kind: 2, certified: true})
    expect(await read<bigint>(w, 'memberCount')).toBe(4n)
    expect(await read<bigint>(w, 'threshold')).toBe(3n)
    // And the newcomer may now register patients like any certified provider
    await w.registrarSend(newcomer.account, 'offerPatientRegistration', [randomIdentity(), w.stranger.address])
  })

  it('admits a non-sealing provider to the whitelist without making it a voter', async () => {
    const w = await consortiumWorld()
    const clinic = {account: await newAccount(w.chain), id: randomIdentity()}
    await admit(w, w.founders[0]!.account, clinic.id, clinic.account.address, false)
    await admit(w, w.founders[2]!.account, clinic.id, clinic.account.address, false)
    expect((await participant(w, clinic.id)).certified).toBe(true)
    expect(await read<bigint>(w, 'memberCount')).toBe(3n)
    await expectRevert(admit(w, clinic.account, randomIdentity(), w.stranger.address, false), 'NotMember', [clinic.account.address])
  })

  it('refuses every vote from anyone who is not a sealing provider', async () => {
    const w = await consortiumWorld()
    const id = randomIdentity()
    for (const outsider of [w.governance, w.patient.account, w.uncertifiedProvider.account, w.lab.account, w.viewer, w.stranger]) {
      await expectRevert(admit(w, outsider, id, w.stranger.address, true), 'NotMember', [outsider.address])
      await expectRevert(remove(w, outsider, w.founders[0]!.id), 'NotMember', [outsider.address])
      await expectRevert(call(w, outsider, encodeFunctionData({abi: consortiumAbi, functionName: 'withdrawVote', args: [id]})), 'NotMember', [outsider.address])
    }
    // And nobody can make it accept a governance that was not offered to it
    await expectRevert(call(w, w.stranger, encodeFunctionData({abi: consortiumAbi, functionName: 'acceptRegistrarGovernance'})), 'NotPendingGovernance')
  })

  it('counts each member once and lets it withdraw its vote', async () => {
    const w = await consortiumWorld()
    const id = randomIdentity()
    const voter = w.founders[0]!.account
    await admit(w, voter, id, w.stranger.address, false)
    const key = await w.chain.publicClient.readContract({address: w.consortium, abi: consortiumAbi, functionName: 'admitKey', args: [id, w.stranger.address, false]})
    await expectRevert(admit(w, voter, id, w.stranger.address, false), 'AlreadyVoted', [key, voter.address])
    const withdrawn = await call(w, voter, encodeFunctionData({abi: consortiumAbi, functionName: 'withdrawVote', args: [key]}))
    expectEvent(withdrawn, 'VoteWithdrawn', {key, voter: voter.address, count: 0n})
    await expectRevert(call(w, voter, encodeFunctionData({abi: consortiumAbi, functionName: 'withdrawVote', args: [key]})), 'NotVoted', [key, voter.address])
    // A withdrawn vote no longer counts: one more vote is not a majority
    await admit(w, w.founders[1]!.account, id, w.stranger.address, false)
    expect((await participant(w, id)).certified).toBe(false)
  })

  it('lets pending votes lapse when the member set changes, as Clique drops a removed signer\'s votes', async () => {
    const w = await consortiumWorld()
    const pending = randomIdentity()
    await admit(w, w.founders[0]!.account, pending, w.stranger.address, false)
    // When the members change (a fourth sealer is admitted)
    const sealer = await newAccount(w.chain)
    const sealerId = randomIdentity()
    await admit(w, w.founders[1]!.account, sealerId, sealer.address, true)
    await admit(w, w.founders[2]!.account, sealerId, sealer.address, true)
    // Then the earlier vote counts for nothing: with 4 members, 3 fresh votes are needed
    for (const f of w.founders.slice(1)) await admit(w, f.account, pending, w.stranger.address, false)
    expect((await participant(w, pending)).certified).toBe(false)
    await admit(w, w.founders[0]!.account, pending, w.stranger.address, false)
    expect((await participant(w, pending)).certified).toBe(true)
  })

  it('removes a provider from the whitelist and the members by majority, and needs fresh votes to admit it again', async () => {
    const w = await consortiumWorld()
    const [a, b, c] = w.founders as [Member, Member, Member]
    await remove(w, a.account, c.id)
    const passed = await remove(w, b.account, c.id)
    expectEvent(passed, 'ProviderDecertified', {id: c.id}, w.registrar)
    expectEvent(passed, 'MemberRemoved', {account: c.account.address, provider: c.id}, w.consortium)
    expect(await read<bigint>(w, 'memberCount')).toBe(2n)
    expect(await read<bigint>(w, 'threshold')).toBe(2n)
    // The removed provider can no longer vote or act as a certified provider
    await expectRevert(admit(w, c.account, randomIdentity(), w.stranger.address, false), 'NotMember')
    await expectRevert(w.registrarSend(c.account, 'offerPatientRegistration', [randomIdentity(), w.stranger.address]), 'NotCertifiedProvider')
    // Re-admitting it takes both remaining members, and re-certifies the same identity
    await admit(w, a.account, c.id, c.account.address, true)
    expect((await participant(w, c.id)).certified).toBe(false)
    await admit(w, b.account, c.id, c.account.address, true)
    expect((await participant(w, c.id)).certified).toBe(true)
    expect(await memberProvider(w, c.account.address)).toBe(c.id)
  })

  it('refuses to remove the last member, to admit a certified provider twice, or to bind an identity to another account', async () => {
    const w = await consortiumWorld()
    const [a, b, c] = w.founders as [Member, Member, Member]
    await expectRevert(admit(w, a.account, b.id, b.account.address, true), 'AlreadyCertified', [b.id])
    await expectRevert(admit(w, a.account, b.id, w.stranger.address, false), 'WrongAccount', [b.id, w.stranger.address])
    await expectRevert(remove(w, a.account, w.patient.id), 'WrongKind')
    // Down to one member: with two, both must agree (b votes itself out)
    for (const gone of [c, b]) for (const voter of [a, b]) await remove(w, voter.account, gone.id)
    expect(await read<bigint>(w, 'memberCount')).toBe(1n)
    await expectRevert(remove(w, a.account, a.id), 'LastMember', [a.account.address])
  })
})

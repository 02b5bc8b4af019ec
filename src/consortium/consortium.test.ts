import {encodeFunctionData, zeroAddress, zeroHash, type Address, type Hex, type LocalAccount} from 'viem'
import {describe, expect, it} from 'vitest'

import {consortiumAbi} from '../contracts/abi/consortium.js'
import {
  advanceChainTime,
  clientsFor,
  consortiumRead,
  deployMedrecWorld,
  newAccount,
  randomIdentity,
  send,
  type MedrecWorld,
  type Member,
} from '../contracts/testing/medrec-test-world.js'
import {expectEvent, expectRevert, useMedrecChain} from '../contracts/testing/test-context.js'
import {establishConsortium} from './deploy-consortium.js'

const ctx = useMedrecChain()
const day = 86_400n

type ConsortiumWorld = MedrecWorld & {consortium: Address; founders: Member[]}

/** A MedRec world whose Registrar is governed by a Consortium of three sealing providers. */
async function consortiumWorld(): Promise<ConsortiumWorld> {
  const world = await deployMedrecWorld(ctx.chain(), ctx.compiled().artifacts)
  const third: Member = {account: await newAccount(world.chain), id: randomIdentity()}
  const founders = [world.provider, world.otherProvider, third]
  const {consortium} = await establishConsortium(handover(world, founders))
  return {...world, consortium, founders}
}

/** What establishConsortium takes to hand `world`'s governance to `founders`, sent from its governance key. */
const handover = (world: MedrecWorld, founders: Member[]) => ({
  ...clientsFor(world.chain, world.governance),
  registrar: world.registrar,
  artifact: ctx.compiled().artifacts.Consortium!,
  founders: founders.map((f) => ({id: f.id, account: f.account.address})),
})

const call = (w: ConsortiumWorld, from: LocalAccount, data: Hex) => send(w.chain, from, w.consortium, data)
const admit = (w: ConsortiumWorld, from: LocalAccount, id: Hex, account: Address, sealer: boolean) =>
  call(w, from, encodeFunctionData({abi: consortiumAbi, functionName: 'voteAdmit', args: [id, account, sealer]}))
const remove = (w: ConsortiumWorld, from: LocalAccount, id: Hex) =>
  call(w, from, encodeFunctionData({abi: consortiumAbi, functionName: 'voteRemove', args: [id]}))
const recoverSteward = (w: ConsortiumWorld, from: LocalAccount, id: Hex, account: Address) =>
  call(w, from, encodeFunctionData({abi: consortiumAbi, functionName: 'voteRecoverSteward', args: [id, account]}))
const recoverPatient = (w: ConsortiumWorld, from: LocalAccount, id: Hex, account: Address) =>
  call(w, from, encodeFunctionData({abi: consortiumAbi, functionName: 'voteRecoverPatient', args: [id, account]}))
const transferGovernance = (w: ConsortiumWorld, from: LocalAccount, next: Address) =>
  call(w, from, encodeFunctionData({abi: consortiumAbi, functionName: 'voteTransferGovernance', args: [next]}))
const identityOf = (w: ConsortiumWorld, account: Address) => w.registrarRead.identityOf([account])
const read = async <T>(w: ConsortiumWorld, functionName: 'memberCount' | 'threshold' | 'generation'): Promise<T> =>
  (await w.chain.publicClient.readContract({address: w.consortium, abi: consortiumAbi, functionName})) as T
const participant = (w: ConsortiumWorld, id: Hex) => w.registrarRead.participant([id])
const memberProvider = (w: ConsortiumWorld, account: Address) =>
  consortiumRead(w.chain, w.consortium).memberProvider([account])

describe('Consortium', () => {
  it("takes over the Registrar's governance, with the founders as members and Clique's threshold", async () => {
    // Given a world handed over to a consortium of three
    const w = await consortiumWorld()
    // Then the consortium governs, three members vote, and two of them decide
    expect(await w.registrarRead.governance()).toBe(w.consortium)
    expect(await read<bigint>(w, 'memberCount')).toBe(3n)
    expect(await read<bigint>(w, 'threshold')).toBe(2n)
    for (const f of w.founders) expect(await memberProvider(w, f.account.address)).toBe(f.id)
    // And the former admin can no longer certify anyone
    await expectRevert(
      w.registrarSend(w.governance, 'registerProvider', [randomIdentity(), w.stranger.address]),
      'NotGovernance',
    )
  })

  it('resumes a handover that stopped half-way and leaves a finished one alone', async () => {
    // Given a finished handover
    const w = await consortiumWorld()
    // When it is run again with the stored address
    const again = await establishConsortium({...handover(w, w.founders), existing: w.consortium})
    // Then nothing is deployed or sent
    expect(again).toEqual({consortium: w.consortium, deployed: false, registeredFounders: []})
  })

  it('admits a provider only when a majority of the sealing providers has voted', async () => {
    const w = await consortiumWorld()
    const newcomer = {account: await newAccount(w.chain), id: randomIdentity()}
    // When one of three votes
    const first = await admit(w, w.founders[0]!.account, newcomer.id, newcomer.account.address, true)
    // Then nothing changes yet
    expectEvent(first, 'VoteCast', expect.objectContaining({voter: w.founders[0]!.id, count: 1n, threshold: 2n}))
    expect((await participant(w, newcomer.id)).certified).toBe(false)
    // When a second votes
    const second = await admit(w, w.founders[1]!.account, newcomer.id, newcomer.account.address, true)
    // Then the provider is registered, certified and a voting member; the threshold follows
    expectEvent(second, 'ProviderCertified', {id: newcomer.id}, w.registrar)
    expectEvent(second, 'MemberAdded', {account: newcomer.account.address, provider: newcomer.id}, w.consortium)
    expect(await participant(w, newcomer.id)).toMatchObject({
      account: newcomer.account.address,
      kind: 2,
      certified: true,
    })
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
    await expectRevert(admit(w, clinic.account, randomIdentity(), w.stranger.address, false), 'NotMember', [
      clinic.account.address,
    ])
  })

  it('refuses every vote from anyone who is not a sealing provider', async () => {
    const w = await consortiumWorld()
    const id = randomIdentity()
    for (const outsider of [
      w.governance,
      w.patient.account,
      w.uncertifiedProvider.account,
      w.lab.account,
      w.viewer,
      w.stranger,
    ]) {
      await expectRevert(admit(w, outsider, id, w.stranger.address, true), 'NotMember', [outsider.address])
      await expectRevert(remove(w, outsider, w.founders[0]!.id), 'NotMember', [outsider.address])
      await expectRevert(
        call(w, outsider, encodeFunctionData({abi: consortiumAbi, functionName: 'withdrawVote', args: [id]})),
        'NotMember',
        [outsider.address],
      )
      await expectRevert(recoverSteward(w, outsider, w.lab.id, w.stranger.address), 'NotMember', [outsider.address])
      await expectRevert(recoverPatient(w, outsider, w.patient.id, w.stranger.address), 'NotMember', [outsider.address])
      await expectRevert(transferGovernance(w, outsider, w.stranger.address), 'NotMember', [outsider.address])
    }
    // And nobody can make it accept a governance that was not offered to it
    await expectRevert(
      call(w, w.stranger, encodeFunctionData({abi: consortiumAbi, functionName: 'acceptRegistrarGovernance'})),
      'NotPendingGovernance',
    )
  })

  it('counts each member once and lets it withdraw its vote', async () => {
    const w = await consortiumWorld()
    const id = randomIdentity()
    const {account: voter, id: voterId} = w.founders[0]!
    await admit(w, voter, id, w.stranger.address, false)
    const key = await consortiumRead(w.chain, w.consortium).admitKey([id, w.stranger.address, false])
    await expectRevert(admit(w, voter, id, w.stranger.address, false), 'AlreadyVoted', [key, voterId])
    const withdrawn = await call(
      w,
      voter,
      encodeFunctionData({abi: consortiumAbi, functionName: 'withdrawVote', args: [key]}),
    )
    expectEvent(withdrawn, 'VoteWithdrawn', {key, voter: voterId, count: 0n})
    await expectRevert(
      call(w, voter, encodeFunctionData({abi: consortiumAbi, functionName: 'withdrawVote', args: [key]})),
      'NotVoted',
      [key, voterId],
    )
    // A withdrawn vote no longer counts: one more vote is not a majority
    await admit(w, w.founders[1]!.account, id, w.stranger.address, false)
    expect((await participant(w, id)).certified).toBe(false)
  })

  it("lets pending votes lapse when the member set changes, as Clique drops a removed signer's votes", async () => {
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

  it('removes a provider from the whitelist and the members by majority, \
and needs fresh votes to admit it again', async () => {
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
    await expectRevert(
      w.registrarSend(c.account, 'offerPatientRegistration', [randomIdentity(), w.stranger.address]),
      'NotCertifiedProvider',
    )
    // Re-admitting it takes both remaining members, and re-certifies the same identity
    await admit(w, a.account, c.id, c.account.address, true)
    expect((await participant(w, c.id)).certified).toBe(false)
    await admit(w, b.account, c.id, c.account.address, true)
    expect((await participant(w, c.id)).certified).toBe(true)
    expect(await memberProvider(w, c.account.address)).toBe(c.id)
  })

  it('refuses to remove the last member, to admit a certified provider twice, \
or to bind an identity to another account', async () => {
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

  it('refuses a member escaping removal by rotating its account, and removes it by identity', async () => {
    // Given three founders, one of whom expects to be voted out
    const w = await consortiumWorld()
    const [a, b, c] = w.founders as [Member, Member, Member]
    // When it tries to move its identity to a fresh key first, Then the Registrar refuses
    const freshKey = await newAccount(w.chain)
    await expectRevert(w.registrarSend(c.account, 'rotateAddress', [freshKey.address]), 'ProviderSelfRotation', [c.id])
    // When the others vote it out
    await remove(w, a.account, c.id)
    const passed = await remove(w, b.account, c.id)
    expectEvent(passed, 'MemberRemoved', {account: c.account.address, provider: c.id}, w.consortium)
    // Then its membership is gone, the count and threshold drop, and neither key votes
    expect(await consortiumRead(w.chain, w.consortium).isMember([c.id])).toBe(false)
    expect(await read<bigint>(w, 'memberCount')).toBe(2n)
    expect(await memberProvider(w, c.account.address)).toBe(zeroHash)
    for (const key of [c.account, freshKey])
      await expectRevert(admit(w, key, randomIdentity(), w.stranger.address, false), 'NotMember', [key.address])
    // And there is nothing left to remove
    await expectRevert(remove(w, a.account, c.id), 'NotCertified', [c.id])
  })

  it("follows a member's identity through removal, recovery and re-admission; its old key never votes", async () => {
    // Given founder c removed, its identity recovered to a new key by majority, and re-admitted there as a sealer
    const w = await consortiumWorld()
    const [a, b, c] = w.founders as [Member, Member, Member]
    for (const voter of [a, b]) await remove(w, voter.account, c.id)
    const newKey = await newAccount(w.chain)
    for (const voter of [a, b]) await recoverSteward(w, voter.account, c.id, newKey.address)
    expect(await identityOf(w, newKey.address)).toBe(c.id)
    await admit(w, a.account, c.id, newKey.address, true)
    await admit(w, b.account, c.id, newKey.address, true)
    expect(await read<bigint>(w, 'memberCount')).toBe(3n)
    // Then the member votes with its new key only
    expect(await memberProvider(w, newKey.address)).toBe(c.id)
    expect(await memberProvider(w, c.account.address)).toBe(zeroHash)
    await expectRevert(remove(w, c.account, a.id), 'NotMember', [c.account.address])
    const vote = await remove(w, newKey, a.id)
    expectEvent(vote, 'VoteCast', expect.objectContaining({voter: c.id, subject: a.id, count: 1n, threshold: 2n}))
    // When it is voted out again, Then the count drops and neither key votes
    await remove(w, a.account, c.id)
    await remove(w, b.account, c.id)
    expect(await read<bigint>(w, 'memberCount')).toBe(2n)
    for (const key of [c.account, newKey]) await expectRevert(remove(w, key, b.id), 'NotMember', [key.address])
    // And a further removal runs with the right majority (both remaining members)
    await remove(w, a.account, b.id)
    expect(await read<bigint>(w, 'memberCount')).toBe(2n)
    await remove(w, b.account, b.id)
    expect(await read<bigint>(w, 'memberCount')).toBe(1n)
  })

  it("recovers a steward's key by majority, never by a minority or for a sealing member", async () => {
    // Given a lab that lost its key, and a non-sealing provider
    const w = await consortiumWorld()
    const [a, b, c] = w.founders as [Member, Member, Member]
    const newKey = await newAccount(w.chain)
    // When one of three members votes, Then nothing moves
    await recoverSteward(w, a.account, w.lab.id, newKey.address)
    expect(await identityOf(w, newKey.address)).toBe(zeroHash)
    // When a second votes, Then the lab lives at its new key, moved by the Consortium
    const passed = await recoverSteward(w, c.account, w.lab.id, newKey.address)
    expectEvent(
      passed,
      'AddressRotated',
      {id: w.lab.id, oldAccount: w.lab.account.address, newAccount: newKey.address, authorizedBy: w.consortium},
      w.registrar,
    )
    expect(await identityOf(w, newKey.address)).toBe(w.lab.id)
    // And a sealing member is refused: it must be removed and admitted again
    await expectRevert(recoverSteward(w, a.account, b.id, w.stranger.address), 'SealingMemberNeedsReadmission', [b.id])
    // And a patient or an unknown identity is refused
    await expectRevert(recoverSteward(w, a.account, w.patient.id, w.stranger.address), 'WrongKind')
    const unknown = randomIdentity()
    await expectRevert(recoverSteward(w, a.account, unknown, w.stranger.address), 'UnknownIdentity', [unknown])
  })

  it("hands the Registrar's governance on by majority, never by a minority", async () => {
    // Given a successor governance (e.g. an upgraded consortium)
    const w = await consortiumWorld()
    const [a, b] = w.founders as [Member, Member, Member]
    const next = await newAccount(w.chain)
    const pending = () => w.registrarRead.pendingGovernance()
    // When one member votes, Then nothing is pending
    await transferGovernance(w, a.account, next.address)
    expect(await pending()).toBe(zeroAddress)
    // When a majority votes, Then the successor may accept, and then governs alone
    const passed = await transferGovernance(w, b.account, next.address)
    expectEvent(passed, 'GovernanceTransferStarted', {current: w.consortium, pending: next.address}, w.registrar)
    expect(await pending()).toBe(next.address)
    await w.registrarSend(next, 'acceptGovernance', [])
    expect(await w.registrarRead.governance()).toBe(next.address)
    const newcomer = randomIdentity()
    await admit(w, a.account, newcomer, w.stranger.address, false)
    await expectRevert(admit(w, b.account, newcomer, w.stranger.address, false), 'NotGovernance', [w.consortium])
  })

  it('starts a patient recovery by majority that completes after seven days unless the patient vetoes it', async () => {
    // Given a patient who lost its key
    const w = await consortiumWorld()
    const [a, b] = w.founders as [Member, Member, Member]
    const newKey = await newAccount(w.chain)
    const pendingRecovery = () => w.registrarRead.pendingRecovery([w.patient.id])
    // When one member votes, Then nothing starts
    await recoverPatient(w, a.account, w.patient.id, newKey.address)
    expect((await pendingRecovery()).newAccount).toBe(zeroAddress)
    // When a majority votes, Then a governance recovery starts with a seven-day delay
    const passed = await recoverPatient(w, b.account, w.patient.id, newKey.address)
    const startedAt = (await w.chain.publicClient.getBlock({blockNumber: passed.blockNumber})).timestamp
    expectEvent(
      passed,
      'RecoveryStarted',
      {id: w.patient.id, newAccount: newKey.address, readyAt: startedAt + 7n * day, byGovernance: true},
      w.registrar,
    )
    await advanceChainTime(w.chain, 6n * day)
    await expectRevert(w.registrarSend(newKey, 'completeRecovery', [w.patient.id]), 'RecoveryNotReady')
    // When the patient's current key vetoes it, Then it never completes
    await w.registrarSend(w.patient.account, 'cancelRecovery', [])
    await advanceChainTime(w.chain, 2n * day)
    await expectRevert(w.registrarSend(newKey, 'completeRecovery', [w.patient.id]), 'NoPendingRecovery', [w.patient.id])
    // When the majority decides again (fresh votes: the passed proposal's round is over) and nobody vetoes
    await recoverPatient(w, a.account, w.patient.id, newKey.address)
    expect((await pendingRecovery()).newAccount).toBe(zeroAddress)
    await recoverPatient(w, b.account, w.patient.id, newKey.address)
    await advanceChainTime(w.chain, 7n * day)
    // Then the new key completes it
    await w.registrarSend(newKey, 'completeRecovery', [w.patient.id])
    expect(await identityOf(w, newKey.address)).toBe(w.patient.id)
  })

  it('cannot start a recovery of a patient who opted out, however many members vote', async () => {
    const w = await consortiumWorld()
    const [a, b, c] = w.founders as [Member, Member, Member]
    await w.registrarSend(w.patient.account, 'setGovernanceRecovery', [false])
    const newKey = await newAccount(w.chain)
    await recoverPatient(w, a.account, w.patient.id, newKey.address)
    await expectRevert(recoverPatient(w, b.account, w.patient.id, newKey.address), 'GovernanceRecoveryDisabled', [
      w.patient.id,
    ])
    await expectRevert(recoverPatient(w, c.account, w.patient.id, newKey.address), 'GovernanceRecoveryDisabled', [
      w.patient.id,
    ])
    await expectRevert(recoverPatient(w, a.account, w.lab.id, newKey.address), 'WrongKind')
  })
})

import type {Address} from 'viem'
import {describe, expect, it} from 'vitest'

import {
  deployMedrecWorld,
  newAccount,
  ParticipantKind,
  proposeRelationship,
  randomIdentity,
  RelationshipStatus,
  summaryRead,
  type MedrecWorld,
  type Member,
} from './testing/medrec-test-world.js'
import {useMedrecChain} from './testing/test-context.js'

const ctx = useMedrecChain()
const world = async (): Promise<MedrecWorld> => deployMedrecWorld(ctx.chain(), ctx.compiled().artifacts)

const summaryOf = async (w: MedrecWorld, id: `0x${string}`): Promise<Address> => w.registrarRead.summaryOf([id])
const page = async (w: MedrecWorld, summary: Address, offset: bigint, limit: bigint) =>
  summaryRead(w.chain, summary).page([offset, limit])

/** `count` extra labs registered by world.provider. */
async function labs(w: MedrecWorld, count: number): Promise<Member[]> {
  const result: Member[] = []
  for (let i = 0; i < count; i++) {
    const lab = {account: await newAccount(w.chain), id: randomIdentity()}
    await w.registrarSend(w.provider.account, 'registerSteward', [lab.id, ParticipantKind.Lab, lab.account.address])
    result.push(lab)
  }
  return result
}

describe('Summary', () => {
  it('lists a patient’s relationships page by page, with current and previous status', async () => {
    // Given a patient with five relationships in different states
    const w = await world()
    const stewards = await labs(w, 5)
    const relationships: Address[] = []
    for (const steward of stewards) relationships.push(await proposeRelationship(w, steward, w.patient))
    const [r0, r1, r2, r3, r4] = relationships as [Address, Address, Address, Address, Address]
    await w.registrarSend(w.patient.account, 'accept', [r1])
    await w.registrarSend(w.patient.account, 'reject', [r2])
    await w.registrarSend(w.patient.account, 'accept', [r3])
    await w.registrarSend(w.patient.account, 'end', [r3])
    const summary = await summaryOf(w, w.patient.id)
    // When it is read two at a time
    const pages = [
      await page(w, summary, 0n, 2n),
      await page(w, summary, 2n, 2n),
      await page(w, summary, 4n, 2n),
      await page(w, summary, 6n, 2n),
    ]
    // Then the pages hold 2, 2, 1 and 0 entries in proposal order, each with its statuses
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1, 0])
    const entries = pages.flat()
    expect(entries.map((e) => e.relationship)).toEqual([r0, r1, r2, r3, r4])
    expect(entries.map((e) => [e.status, e.previousStatus])).toEqual([
      [RelationshipStatus.Proposed, RelationshipStatus.None],
      [RelationshipStatus.Accepted, RelationshipStatus.Proposed],
      [RelationshipStatus.Rejected, RelationshipStatus.Proposed],
      [RelationshipStatus.Ended, RelationshipStatus.Accepted],
      [RelationshipStatus.Proposed, RelationshipStatus.None],
    ])
    expect(entries.every((e) => e.patient === w.patient.id && e.round === 1 && e.changedAt > 0)).toBe(true)
    expect(entries.map((e) => e.steward)).toEqual(stewards.map((s) => s.id))
    expect(await summaryRead(w.chain, summary).count()).toBe(5n)
    // And a limit past the end is clamped
    expect((await page(w, summary, 3n, 1000n)).map((e) => e.relationship)).toEqual([r3, r4])
    expect(await page(w, summary, 2n ** 255n, 2n ** 255n)).toEqual([])
  })

  it('lists a steward’s relationships too, and a re-proposal does not list a pair twice', async () => {
    // Given a provider proposing to two patients, one of whom rejects
    const w = await world()
    const first = await proposeRelationship(w, w.provider, w.patient)
    const second = await proposeRelationship(w, w.provider, w.otherPatient)
    await w.registrarSend(w.patient.account, 'reject', [first])
    // When the provider proposes to that patient again
    await proposeRelationship(w, w.provider, w.patient)
    // Then each Summary lists each pair once, with the new round
    const providerPage = await page(w, await summaryOf(w, w.provider.id), 0n, 10n)
    expect(providerPage.map((e) => e.relationship)).toEqual([first, second])
    expect(providerPage[0]).toMatchObject({
      round: 2,
      status: RelationshipStatus.Proposed,
      previousStatus: RelationshipStatus.Rejected,
    })
    expect((await page(w, await summaryOf(w, w.patient.id), 0n, 10n)).map((e) => e.relationship)).toEqual([first])
  })

  it('is exposed by the Registrar for every identity and empty for unknown ones', async () => {
    // Given registered participants
    const w = await world()
    for (const member of [w.patient, w.provider, w.lab]) {
      // When the Registrar is asked for the Summary, Then it is that participant's own clone
      const summary = await summaryOf(w, member.id)
      expect((await w.registrarRead.participant([member.id])).summary).toBe(summary)
      expect(await summaryRead(w.chain, summary).owner()).toBe(member.id)
      expect(await summaryRead(w.chain, summary).count()).toBe(0n)
    }
    expect(await summaryOf(w, randomIdentity())).toBe('0x0000000000000000000000000000000000000000')
  })
})

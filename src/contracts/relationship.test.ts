import {encodeFunctionData, getAddress, zeroAddress, type Address, type Hex, type LocalAccount} from 'viem'
import {describe, expect, it} from 'vitest'

import {relationshipAbi} from './abi/relationship.js'
import {summaryAbi} from './abi/summary.js'
import {
  acceptedRelationship,
  chainTime,
  deployMedrecWorld,
  everyRoleBut,
  newAccount,
  proposeRelationship,
  randomIdentity,
  relationshipRead,
  RelationshipStatus,
  send,
  signAcceptance,
  summaryRead,
  type MedrecWorld,
} from './testing/medrec-test-world.js'
import {malleate} from './testing/signature-test-util.js'
import {expectEvent, expectRevert, useMedrecChain} from './testing/test-context.js'

const ctx = useMedrecChain()
const world = async (): Promise<MedrecWorld> => deployMedrecWorld(ctx.chain(), ctx.compiled().artifacts)

const SCOPE_LABS = 0b01n
const SCOPE_IMAGING = 0b10n

const rel = {
  current: async (w: MedrecWorld, address: Address) => {
    const [round, status, previous, changedAt] = await relationshipRead(w.chain, address).current()
    return {round, status, previous, changedAt}
  },
  roundInfo: async (w: MedrecWorld, address: Address, round: number) =>
    relationshipRead(w.chain, address).roundInfo([round]),
  pointer: async (w: MedrecWorld, address: Address) => relationshipRead(w.chain, address).pointer(),
  viewerCount: async (w: MedrecWorld, address: Address) => relationshipRead(w.chain, address).viewerCount(),
  viewerAt: async (w: MedrecWorld, address: Address, index: bigint) =>
    relationshipRead(w.chain, address).viewerAt([index]),
  grantOf: async (w: MedrecWorld, address: Address, viewer: Address) =>
    relationshipRead(w.chain, address).grantOf([viewer]),
}

const canAccess = async (
  w: MedrecWorld,
  relationship: Address,
  requester: Address,
  scope = SCOPE_LABS,
): Promise<boolean> => w.registrarRead.canAccess([relationship, requester, scope])

const inOneDay = async (w: MedrecWorld): Promise<bigint> => (await chainTime(w.chain)) + 86_400n

/** `from` grants `viewer` access to `relationship` within `scope` until `expiry` (default: a day from now). */
const grant = async (
  w: MedrecWorld,
  from: LocalAccount,
  relationship: Address,
  viewer: Address,
  scope = SCOPE_LABS,
  expiry?: bigint,
) => w.registrarSend(from, 'grantViewer', [relationship, viewer, scope, expiry ?? (await inOneDay(w))])

type PatientAction = 'accept' | 'reject' | 'end'

/** The patient's `action` on round 1 of `relationship`, announced as `from` → `to`; returns its time. */
async function patientMoves(
  w: MedrecWorld,
  relationship: Address,
  action: PatientAction,
  from: number,
  to: number,
): Promise<number> {
  const receipt = await w.registrarSend(w.patient.account, action, [relationship])
  const at = Number(await chainTime(w.chain))
  expectEvent(receipt, 'StatusChanged', {round: 1, from, to, timestamp: at}, relationship)
  return at
}

/** Asserts that the patient's `action` on `relationship` is refused as the transition `from` → `to`. */
const refusedTransition = (w: MedrecWorld, action: PatientAction, relationship: Address, from: number, to: number) =>
  expectRevert(w.registrarSend(w.patient.account, action, [relationship]), 'InvalidTransition', [from, to])

describe('Relationship proposal', () => {
  it('creates one EIP-1167 clone per pair, initialized, listed in both Summaries', async () => {
    // Given a provider and a patient
    const w = await world()
    const queryRef = randomIdentity()
    const contentHash = randomIdentity()
    // When the provider proposes
    const receipt = await w.registrarSend(w.provider.account, 'propose', [
      w.patient.id,
      'https://gk.example/a',
      queryRef,
      contentHash,
    ])
    const relationship = await w.registrarRead.relationshipOf([w.patient.id, w.provider.id])
    // Then the relationship is a minimal proxy of the implementation, in status Proposed
    const code = await w.chain.publicClient.getCode({address: relationship})
    expect(code).toBe(
      `0x363d3d373d3d3d363d73${w.relationshipImplementation.slice(2).toLowerCase()}5af43d82803e903d91602b57fd5bf3`,
    )
    expect(await w.registrarRead.isRelationship([relationship])).toBe(true)
    const now = Number(await chainTime(w.chain))
    expect(await rel.current(w, relationship)).toEqual({
      round: 1,
      status: RelationshipStatus.Proposed,
      previous: RelationshipStatus.None,
      changedAt: now,
    })
    expect(await rel.pointer(w, relationship)).toEqual(['https://gk.example/a', queryRef, contentHash])
    expect(await relationshipRead(w.chain, relationship).patient()).toBe(w.patient.id)
    expect(await relationshipRead(w.chain, relationship).steward()).toBe(w.provider.id)
    // And every state change is announced
    expectEvent(
      receipt,
      'RelationshipCreated',
      {relationship, patient: w.patient.id, steward: w.provider.id},
      w.registrar,
    )
    expectEvent(
      receipt,
      'RelationshipInitialized',
      {registrar: w.registrar, patient: w.patient.id, steward: w.provider.id},
      relationship,
    )
    expectEvent(
      receipt,
      'StatusChanged',
      {round: 1, from: RelationshipStatus.None, to: RelationshipStatus.Proposed, timestamp: now},
      relationship,
    )
    expectEvent(
      receipt,
      'PointerUpdated',
      {round: 1, endpoint: 'https://gk.example/a', queryRef, contentHash},
      relationship,
    )
    for (const member of [w.patient, w.provider]) {
      const summary = await w.registrarRead.summaryOf([member.id])
      expectEvent(receipt, 'RelationshipListed', {relationship, index: 0n}, summary)
      expect(await summaryRead(w.chain, summary).relationshipAt([0n])).toBe(relationship)
    }
  })

  it('lets insurers, labs and other stewards propose, not patients, strangers or uncertified providers', async () => {
    // Given the world's roles
    const w = await world()
    // When a lab proposes, Then it works
    await proposeRelationship(w, w.lab, w.patient)
    // When others try, Then each is refused for its reason
    const args = [w.patient.id, 'https://gk.example', randomIdentity(), randomIdentity()] as const
    await expectRevert(w.registrarSend(w.otherPatient.account, 'propose', args), 'NotSteward', [
      w.otherPatient.account.address,
    ])
    await expectRevert(w.registrarSend(w.patient.account, 'propose', args), 'NotSteward', [w.patient.account.address])
    await expectRevert(w.registrarSend(w.uncertifiedProvider.account, 'propose', args), 'NotCertifiedProvider', [
      w.uncertifiedProvider.account.address,
    ])
    for (const account of [w.governance, w.viewer, w.stranger]) {
      await expectRevert(w.registrarSend(account, 'propose', args), 'NotRegistered', [account.address])
    }
  })

  it('refuses proposals to a non-patient or unknown identity and bad endpoints', async () => {
    const w = await world()
    // Given a provider, When it proposes to a lab, an unknown id, or with a bad endpoint, Then it is refused
    await expectRevert(
      w.registrarSend(w.provider.account, 'propose', [w.lab.id, 'https://gk', randomIdentity(), randomIdentity()]),
      'WrongKind',
    )
    const unknown = randomIdentity()
    await expectRevert(
      w.registrarSend(w.provider.account, 'propose', [unknown, 'https://gk', randomIdentity(), randomIdentity()]),
      'UnknownIdentity',
      [unknown],
    )
    await expectRevert(
      w.registrarSend(w.provider.account, 'propose', [w.patient.id, '', randomIdentity(), randomIdentity()]),
      'InvalidEndpoint',
      [0n],
    )
    await expectRevert(
      w.registrarSend(w.provider.account, 'propose', [
        w.patient.id,
        'x'.repeat(257),
        randomIdentity(),
        randomIdentity(),
      ]),
      'InvalidEndpoint',
      [257n],
    )
  })
})

describe('Relationship status', () => {
  it('moves Proposed -> Accepted -> Ended by the patient, keeping each time', async () => {
    // Given a proposal
    const w = await world()
    const relationship = await proposeRelationship(w, w.provider, w.patient)
    const proposedAt = Number(await chainTime(w.chain))
    // When the patient accepts
    await w.chain.testClient.increaseTime({seconds: 10})
    const {Proposed, Accepted, Ended} = RelationshipStatus
    const acceptedAt = await patientMoves(w, relationship, 'accept', Proposed, Accepted)
    expect(await canAccess(w, relationship, w.provider.account.address)).toBe(true)
    // And later ends it
    await w.chain.testClient.increaseTime({seconds: 10})
    const endedAt = await patientMoves(w, relationship, 'end', Accepted, Ended)
    // Then the round's history holds every time, and nobody has access any more
    expect(await rel.roundInfo(w, relationship, 1)).toEqual({
      status: RelationshipStatus.Ended,
      previous: RelationshipStatus.Accepted,
      proposedAt,
      acceptedAt,
      rejectedAt: 0,
      endedAt,
    })
    expect(acceptedAt).toBeGreaterThan(proposedAt)
    expect(await canAccess(w, relationship, w.patient.account.address)).toBe(false)
    expect(await canAccess(w, relationship, w.provider.account.address)).toBe(false)
  })

  it('lets the patient reject a proposal, which cannot then be accepted without a new proposal', async () => {
    // Given a proposal the patient rejects
    const w = await world()
    const relationship = await proposeRelationship(w, w.provider, w.patient)
    const {Proposed, Accepted, Rejected} = RelationshipStatus
    await patientMoves(w, relationship, 'reject', Proposed, Rejected)
    // When the patient tries to accept it, Then it is refused
    await refusedTransition(w, 'accept', relationship, Rejected, Accepted)
    // When the steward proposes again, Then a second round starts and can be accepted
    await proposeRelationship(w, w.provider, w.patient, 'https://gk.example/v2')
    expect(await rel.current(w, relationship)).toMatchObject({
      round: 2,
      status: RelationshipStatus.Proposed,
      previous: RelationshipStatus.Rejected,
    })
    await w.registrarSend(w.patient.account, 'accept', [relationship])
    // And the first round's history is still there
    expect((await rel.roundInfo(w, relationship, 1)).status).toBe(RelationshipStatus.Rejected)
    expect((await rel.roundInfo(w, relationship, 2)).status).toBe(RelationshipStatus.Accepted)
    expect((await rel.pointer(w, relationship))[0]).toBe('https://gk.example/v2')
  })

  it('refuses every transition the status machine does not allow', async () => {
    // Given relationships in each status
    const w = await world()
    const proposed = await proposeRelationship(w, w.lab, w.patient)
    const accepted = await acceptedRelationship(w)
    const {Proposed, Accepted, Rejected, Ended} = RelationshipStatus
    // When the patient skips a step, Then it is refused with from and to
    await refusedTransition(w, 'end', proposed, Proposed, Ended)
    await refusedTransition(w, 'accept', accepted, Accepted, Accepted)
    await refusedTransition(w, 'reject', accepted, Accepted, Rejected)
    // When a steward re-proposes a live relationship, Then it is refused
    await expectRevert(
      w.registrarSend(w.lab.account, 'propose', [w.patient.id, 'https://gk', randomIdentity(), randomIdentity()]),
      'InvalidTransition',
      [Proposed, Proposed],
    )
    await expectRevert(
      w.registrarSend(w.provider.account, 'propose', [w.patient.id, 'https://gk', randomIdentity(), randomIdentity()]),
      'InvalidTransition',
      [Accepted, Proposed],
    )
    // When the patient ends, then the relationship is ended for good
    await w.registrarSend(w.patient.account, 'end', [accepted])
    await refusedTransition(w, 'end', accepted, Ended, Ended)
    await refusedTransition(w, 'accept', accepted, Ended, Accepted)
  })

  it('refuses accept, reject, end, grant and revoke to everyone but the patient', async () => {
    // Given an accepted and a proposed relationship of world.patient with a granted viewer
    const w = await world()
    const accepted = await acceptedRelationship(w)
    const proposed = await proposeRelationship(w, w.lab, w.patient)
    await grant(w, w.patient.account, accepted, w.viewer.address)
    const expiry = await inOneDay(w)
    for (const [, account] of everyRoleBut(w, 'patient')) {
      // When another role acts as the patient, Then it is refused as not the patient
      const refused = ['NotPatient', [account.address]] as const
      await expectRevert(w.registrarSend(account, 'accept', [proposed]), ...refused)
      await expectRevert(w.registrarSend(account, 'reject', [proposed]), ...refused)
      await expectRevert(w.registrarSend(account, 'end', [accepted]), ...refused)
      await expectRevert(grant(w, account, accepted, account.address, SCOPE_LABS, expiry), ...refused)
      await expectRevert(w.registrarSend(account, 'revokeViewer', [accepted, w.viewer.address]), ...refused)
    }
    // And nothing changed
    expect((await rel.current(w, accepted)).status).toBe(RelationshipStatus.Accepted)
    expect((await rel.current(w, proposed)).status).toBe(RelationshipStatus.Proposed)
    expect(await rel.viewerCount(w, accepted)).toBe(1n)
  })

  it('refuses a patient acting on another patient’s relationship', async () => {
    // Given the other patient's proposed relationship
    const w = await world()
    const theirs = await proposeRelationship(w, w.provider, w.otherPatient)
    // When world.patient accepts it, Then it is refused, and its owner can still accept
    await expectRevert(w.registrarSend(w.patient.account, 'accept', [theirs]), 'NotPatient', [
      w.patient.account.address,
    ])
    await w.registrarSend(w.otherPatient.account, 'accept', [theirs])
    await expectRevert(grant(w, w.patient.account, theirs, w.patient.account.address), 'NotPatient')
    expect(await canAccess(w, theirs, w.patient.account.address)).toBe(false)
  })

  it('refuses actions on an address that is not one of the Registrar’s relationships', async () => {
    const w = await world()
    // Given an arbitrary address, When the patient or a steward acts on it, Then it is unknown
    const fake = w.stranger.address
    await expectRevert(w.registrarSend(w.patient.account, 'accept', [fake]), 'UnknownRelationship', [fake])
    await expectRevert(
      w.registrarSend(w.provider.account, 'updatePointer', [fake, 'https://gk', randomIdentity(), randomIdentity()]),
      'UnknownRelationship',
      [fake],
    )
    await expectRevert(w.registrarSend(w.stranger, 'acceptWithSig', [fake, 0n, '0x']), 'UnknownRelationship', [fake])
    expect(await canAccess(w, fake, w.patient.account.address)).toBe(false)
  })
})

/** A proposal to world.patient, with its acceptance to sign (by the patient, for round 1 and nonce 0, unless told)
 * and to relay (by the steward, unless told), both until a day from now unless told. */
async function proposalToAccept(w: MedrecWorld) {
  const relationship = await proposeRelationship(w, w.provider, w.patient)
  const deadline = await inOneDay(w)
  type Terms = {round?: number; nonce?: bigint; until?: bigint}
  return {
    relationship,
    sign: ({by = w.patient.account, round = 1, nonce = 0n, until = deadline}: Terms & {by?: LocalAccount} = {}) =>
      signAcceptance(w.chain, w.registrar, by, {relationship, round, nonce, deadline: until}),
    relay: (
      signature: Hex,
      {from = w.provider.account, until = deadline}: {from?: LocalAccount; until?: bigint} = {},
    ) => w.registrarSend(from, 'acceptWithSig', [relationship, until, signature]),
  }
}

describe('Relationship acceptance by EIP-712 consent', () => {
  it('accepts with the patient’s signature relayed by the steward', async () => {
    // Given a proposal and the patient's signed acceptance of round 1
    const w = await world()
    const {relationship, sign, relay} = await proposalToAccept(w)
    const signature = await sign()
    // When the steward relays it
    const receipt = await relay(signature)
    // Then the relationship is accepted and the nonce is spent
    expect((await rel.current(w, relationship)).status).toBe(RelationshipStatus.Accepted)
    expectEvent(receipt, 'NonceUsed', {signer: w.patient.account.address, nonce: 0n}, w.registrar)
  })

  it('refuses an acceptance signed by the wrong key, expired, replayed, for another round, or high-s', async () => {
    // Given a proposal
    const w = await world()
    const {relationship, sign, relay} = await proposalToAccept(w)
    // When the steward signs the patient's acceptance itself, Then it is the wrong signer
    await expectRevert(relay(await sign({by: w.provider.account})), 'WrongSigner')
    // When the patient's consent has expired, Then it is refused
    const late = (await chainTime(w.chain)) - 1n
    await expectRevert(relay(await sign({until: late}), {until: late}), 'SignatureExpired', [late])
    // When a consent for a round that is not current is used, Then it is refused
    await expectRevert(relay(await sign({round: 2})), 'WrongSigner')
    // When a valid consent is used, the patient ends, the steward re-proposes, and the old consent is replayed
    const valid = await sign()
    await expectRevert(relay(malleate(valid).highS), 'InvalidSignatureS')
    await relay(valid)
    await w.registrarSend(w.patient.account, 'end', [relationship])
    await proposeRelationship(w, w.provider, w.patient)
    // Then the replay is refused: its nonce is spent (and its round is over)
    await expectRevert(relay(valid), 'WrongSigner')
    // And a consent with the current nonce for round 2 is not refused for a used nonce
    await relay(await sign({round: 2, nonce: 1n}), {from: w.stranger})
    expect(await rel.current(w, relationship)).toMatchObject({round: 2, status: RelationshipStatus.Accepted})
  })
})

describe('Relationship pointer', () => {
  it('lets the steward update the pointer of an accepted relationship only', async () => {
    // Given a proposed relationship
    const w = await world()
    const relationship = await proposeRelationship(w, w.provider, w.patient)
    const queryRef = randomIdentity()
    const contentHash = randomIdentity()
    // When the steward updates it before acceptance, Then it is refused
    await expectRevert(
      w.registrarSend(w.provider.account, 'updatePointer', [relationship, 'https://gk/new', queryRef, contentHash]),
      'NotAccepted',
      [RelationshipStatus.Proposed],
    )
    // When it updates after acceptance, Then the pointer changes and an event says so
    await w.registrarSend(w.patient.account, 'accept', [relationship])
    const receipt = await w.registrarSend(w.provider.account, 'updatePointer', [
      relationship,
      'https://gk/new',
      queryRef,
      contentHash,
    ])
    expectEvent(receipt, 'PointerUpdated', {round: 1, endpoint: 'https://gk/new', queryRef, contentHash}, relationship)
    expect(await rel.pointer(w, relationship)).toEqual(['https://gk/new', queryRef, contentHash])
    // When the relationship has ended, Then updates are refused again
    await w.registrarSend(w.patient.account, 'end', [relationship])
    await expectRevert(
      w.registrarSend(w.provider.account, 'updatePointer', [relationship, 'https://gk/x', queryRef, contentHash]),
      'NotAccepted',
      [RelationshipStatus.Ended],
    )
  })

  it('refuses pointer updates by everyone but the relationship’s steward', async () => {
    // Given an accepted relationship with world.provider as steward
    const w = await world()
    const relationship = await acceptedRelationship(w)
    const args = [relationship, 'https://evil.example', randomIdentity(), randomIdentity()] as const
    // When other roles update it, Then each is refused
    for (const account of [w.otherProvider.account, w.lab.account]) {
      await expectRevert(w.registrarSend(account, 'updatePointer', args), 'NotSteward', [account.address])
    }
    for (const account of [w.patient.account, w.otherPatient.account]) {
      await expectRevert(w.registrarSend(account, 'updatePointer', args), 'NotSteward', [account.address])
    }
    await expectRevert(w.registrarSend(w.uncertifiedProvider.account, 'updatePointer', args), 'NotCertifiedProvider')
    for (const account of [w.governance, w.viewer, w.stranger]) {
      await expectRevert(w.registrarSend(account, 'updatePointer', args), 'NotRegistered', [account.address])
    }
    // And a steward that loses certification loses the pointer too
    await w.registrarSend(w.governance, 'decertifyProvider', [w.provider.id])
    await expectRevert(w.registrarSend(w.provider.account, 'updatePointer', args), 'NotCertifiedProvider', [
      w.provider.account.address,
    ])
  })
})

describe('Relationship viewers and access', () => {
  it('gives access to the patient, the steward and a granted viewer within its scope, and nobody else', async () => {
    // Given an accepted relationship where the viewer may read labs
    const w = await world()
    const relationship = await acceptedRelationship(w)
    const expiry = await inOneDay(w)
    const receipt = await grant(w, w.patient.account, relationship, w.viewer.address, SCOPE_LABS, expiry)
    expectEvent(receipt, 'ViewerGranted', {round: 1, viewer: w.viewer.address, scope: SCOPE_LABS, expiry}, relationship)
    // Then the gatekeeper's view answers accordingly
    expect(await canAccess(w, relationship, w.patient.account.address, SCOPE_LABS | SCOPE_IMAGING)).toBe(true)
    expect(await canAccess(w, relationship, w.provider.account.address, SCOPE_IMAGING)).toBe(true)
    expect(await canAccess(w, relationship, w.viewer.address, SCOPE_LABS)).toBe(true)
    expect(await canAccess(w, relationship, w.viewer.address, SCOPE_IMAGING)).toBe(false)
    expect(await canAccess(w, relationship, w.viewer.address, SCOPE_LABS | SCOPE_IMAGING)).toBe(false)
    expect(await canAccess(w, relationship, w.viewer.address, 0n)).toBe(false)
    for (const account of [w.otherPatient.account, w.otherProvider.account, w.lab.account, w.governance, w.stranger]) {
      expect(await canAccess(w, relationship, account.address)).toBe(false)
    }
    expect(await rel.grantOf(w, relationship, w.viewer.address)).toEqual([SCOPE_LABS, expiry])
  })

  it('refuses a provider granting itself access', async () => {
    // Given the steward of an accepted relationship
    const w = await world()
    const relationship = await acceptedRelationship(w)
    // When it grants itself or another provider access, Then it is refused
    await expectRevert(grant(w, w.provider.account, relationship, w.provider.account.address), 'NotPatient', [
      w.provider.account.address,
    ])
    await expectRevert(grant(w, w.otherProvider.account, relationship, w.otherProvider.account.address), 'NotPatient')
    expect(await rel.viewerCount(w, relationship)).toBe(0n)
    expect(await canAccess(w, relationship, w.otherProvider.account.address)).toBe(false)
  })

  it('stops a viewer’s access at its expiry', async () => {
    // Given a viewer whose grant expires in 100 seconds
    const w = await world()
    const relationship = await acceptedRelationship(w)
    const expiry = (await chainTime(w.chain)) + 100n
    await grant(w, w.patient.account, relationship, w.viewer.address, SCOPE_LABS, expiry)
    // When time passes to one second before expiry, Then access holds
    await w.chain.testClient.setNextBlockTimestamp({timestamp: expiry - 1n})
    await w.chain.testClient.mine({blocks: 1})
    expect(await canAccess(w, relationship, w.viewer.address)).toBe(true)
    // When the expiry is reached, Then access is gone
    await w.chain.testClient.increaseTime({seconds: 1})
    await w.chain.testClient.mine({blocks: 1})
    expect(await canAccess(w, relationship, w.viewer.address)).toBe(false)
  })

  it('revokes a viewer with swap-and-pop so nothing of it lingers and the others keep their grants', async () => {
    // Given three viewers
    const w = await world()
    const relationship = await acceptedRelationship(w)
    const [a, b, c] = [w.viewer, await newAccount(w.chain), await newAccount(w.chain)]
    const expiry = await inOneDay(w)
    for (const viewer of [a, b, c]) await grant(w, w.patient.account, relationship, viewer.address, SCOPE_LABS, expiry)
    // When the patient revokes the first
    const receipt = await w.registrarSend(w.patient.account, 'revokeViewer', [relationship, a.address])
    expectEvent(receipt, 'ViewerRevoked', {round: 1, viewer: a.address}, relationship)
    // Then it is gone from the grant, the list and the access decision; the last moved into its slot
    expect(await rel.grantOf(w, relationship, a.address)).toEqual([0n, 0n])
    expect(await canAccess(w, relationship, a.address)).toBe(false)
    expect(await rel.viewerCount(w, relationship)).toBe(2n)
    expect([await rel.viewerAt(w, relationship, 0n), await rel.viewerAt(w, relationship, 1n)]).toEqual([
      c.address,
      b.address,
    ])
    // And the moved entry's index is right: revoking it and the rest empties the list cleanly
    await w.registrarSend(w.patient.account, 'revokeViewer', [relationship, c.address])
    expect(await rel.viewerAt(w, relationship, 0n)).toBe(b.address)
    await w.registrarSend(w.patient.account, 'revokeViewer', [relationship, b.address])
    expect(await rel.viewerCount(w, relationship)).toBe(0n)
    for (const viewer of [a, b, c]) expect(await canAccess(w, relationship, viewer.address)).toBe(false)
    // And revoking twice is refused
    await expectRevert(
      w.registrarSend(w.patient.account, 'revokeViewer', [relationship, a.address]),
      'ViewerNotGranted',
      [a.address],
    )
  })

  it('replaces a viewer’s terms on re-grant without listing it twice', async () => {
    // Given a viewer with the labs scope
    const w = await world()
    const relationship = await acceptedRelationship(w)
    await grant(w, w.patient.account, relationship, w.viewer.address)
    // When the patient re-grants it imaging only
    const expiry = (await inOneDay(w)) + 10n
    await grant(w, w.patient.account, relationship, w.viewer.address, SCOPE_IMAGING, expiry)
    // Then the new terms apply and the list has one entry
    expect(await rel.viewerCount(w, relationship)).toBe(1n)
    expect(await rel.grantOf(w, relationship, w.viewer.address)).toEqual([SCOPE_IMAGING, expiry])
    expect(await canAccess(w, relationship, w.viewer.address, SCOPE_LABS)).toBe(false)
    expect(await canAccess(w, relationship, w.viewer.address, SCOPE_IMAGING)).toBe(true)
  })

  it('refuses grants with a zero viewer, zero scope, past expiry, or before acceptance', async () => {
    const w = await world()
    const relationship = await acceptedRelationship(w)
    const proposed = await proposeRelationship(w, w.lab, w.patient)
    const now = await chainTime(w.chain)
    // Given the patient, When it grants badly, Then each is refused for its reason
    await expectRevert(
      grant(w, w.patient.account, relationship, zeroAddress, SCOPE_LABS, now + 100n),
      'InvalidViewer',
      [zeroAddress],
    )
    await expectRevert(grant(w, w.patient.account, relationship, w.viewer.address, 0n, now + 100n), 'ZeroScope')
    await expectRevert(grant(w, w.patient.account, relationship, w.viewer.address, SCOPE_LABS, now), 'ExpiryInPast', [
      now,
    ])
    await expectRevert(grant(w, w.patient.account, proposed, w.viewer.address, SCOPE_LABS, now + 100n), 'NotAccepted', [
      RelationshipStatus.Proposed,
    ])
  })

  it('does not carry viewers of an ended round into a re-proposed one', async () => {
    // Given a viewer on a relationship that then ends
    const w = await world()
    const relationship = await acceptedRelationship(w)
    await grant(w, w.patient.account, relationship, w.viewer.address)
    await w.registrarSend(w.patient.account, 'end', [relationship])
    expect(await canAccess(w, relationship, w.viewer.address)).toBe(false)
    // When the steward re-proposes and the patient accepts round 2
    await proposeRelationship(w, w.provider, w.patient)
    await w.registrarSend(w.patient.account, 'accept', [relationship])
    // Then the old viewer has no access and round 2 lists no viewers
    expect(await canAccess(w, relationship, w.viewer.address)).toBe(false)
    expect(await rel.viewerCount(w, relationship)).toBe(0n)
    expect(await rel.grantOf(w, relationship, w.viewer.address)).toEqual([0n, 0n])
  })

  it('gives nobody access while a relationship is only proposed or rejected', async () => {
    const w = await world()
    // Given a proposed relationship
    const relationship = await proposeRelationship(w, w.provider, w.patient)
    // Then neither side has access, before or after rejection
    expect(await canAccess(w, relationship, w.patient.account.address)).toBe(false)
    expect(await canAccess(w, relationship, w.provider.account.address)).toBe(false)
    await w.registrarSend(w.patient.account, 'reject', [relationship])
    expect(await canAccess(w, relationship, w.patient.account.address)).toBe(false)
  })
})

describe('Relationship and Summary clones', () => {
  it('refuse every write that does not come from the Registrar, and re-initialization', async () => {
    // Given a live relationship, the patient's Summary and both implementations
    const w = await world()
    const relationship = await acceptedRelationship(w)
    const summary = await w.registrarRead.summaryOf([w.patient.id])
    const direct = async (address: Address, data: Hex) => send(w.chain, w.patient.account, address, data)
    const relationshipCall = (data: Hex): [Address, Hex] => [relationship, data]
    const pointer = ['https://x', randomIdentity(), randomIdentity()] as const
    const writes: [Address, Hex][] = [
      ...(['end', 'accept', 'reject'] as const).map((functionName) =>
        relationshipCall(encodeFunctionData({abi: relationshipAbi, functionName})),
      ),
      relationshipCall(
        encodeFunctionData({
          abi: relationshipAbi,
          functionName: 'grantViewer',
          args: [w.patient.account.address, 1n, 2n ** 40n],
        }),
      ),
      relationshipCall(
        encodeFunctionData({abi: relationshipAbi, functionName: 'revokeViewer', args: [w.viewer.address]}),
      ),
      relationshipCall(encodeFunctionData({abi: relationshipAbi, functionName: 'updatePointer', args: pointer})),
      relationshipCall(encodeFunctionData({abi: relationshipAbi, functionName: 'propose', args: pointer})),
      [summary, encodeFunctionData({abi: summaryAbi, functionName: 'add', args: [w.stranger.address]})],
    ]
    // When the patient calls the clone (or its Summary) directly, Then it is refused: only the Registrar writes
    for (const [address, data] of writes)
      await expectRevert(direct(address, data), 'NotRegistrar', [w.patient.account.address])
    // When anyone re-initializes a clone or initializes an implementation, Then it is refused
    const init = encodeFunctionData({
      abi: relationshipAbi,
      functionName: 'initialize',
      args: [randomIdentity(), randomIdentity()],
    })
    await expectRevert(direct(relationship, init), 'AlreadyInitialized')
    await expectRevert(direct(w.relationshipImplementation, init), 'AlreadyInitialized')
    const summaryInit = encodeFunctionData({abi: summaryAbi, functionName: 'initialize', args: [randomIdentity()]})
    await expectRevert(direct(summary, summaryInit), 'AlreadyInitialized')
    await expectRevert(direct(w.summaryImplementation, summaryInit), 'AlreadyInitialized')
    expect(getAddress(await relationshipRead(w.chain, relationship).registrar())).toBe(w.registrar)
  })
})

import {
  concat,
  encodeAbiParameters,
  encodeFunctionData,
  getContractAddress,
  keccak256,
  zeroAddress,
  zeroHash,
  type Address,
  type Hex,
  type LocalAccount,
  type TransactionReceipt,
} from 'viem'
import {describe, expect, it} from 'vitest'

import {registrarAbi} from './abi/registrar.js'
import {deriveIdentity, patientIdentity} from './derive-identity.js'
import {
  acceptedRelationship,
  advanceChainTime,
  chainTime,
  deployMedrecWorld,
  everyRoleBut,
  newAccount,
  newPatient,
  ParticipantKind,
  proposeRelationship,
  randomIdentity,
  send,
  signRecovery,
  signRegistration,
  summaryRead,
  type MedrecWorld,
  type Member,
  type Patient,
} from './testing/medrec-test-world.js'
import {malleate} from './testing/signature-test-util.js'
import {expectEvent, expectRevert, useMedrecChain} from './testing/test-context.js'

const ctx = useMedrecChain()
const world = async (): Promise<MedrecWorld> => deployMedrecWorld(ctx.chain(), ctx.compiled().artifacts)

const read = {
  participant: async (w: MedrecWorld, id: Hex) => w.registrarRead.participant([id]),
  identityOf: async (w: MedrecWorld, account: `0x${string}`) => w.registrarRead.identityOf([account]),
  governance: async (w: MedrecWorld) => w.registrarRead.governance(),
  pending: async (w: MedrecWorld, account: Address, provider: Hex) =>
    w.registrarRead.pendingRegistration([account, provider]),
  canAccess: async (w: MedrecWorld, relationship: `0x${string}`, requester: `0x${string}`) =>
    w.registrarRead.canAccess([relationship, requester, 1n]),
}

const inOneHour = async (w: MedrecWorld): Promise<bigint> => (await chainTime(w.chain)) + 3600n

/** `from` offers enrolment to `patient`'s key under the patient's enrolment reference. */
const offer = (w: MedrecWorld, from: LocalAccount, patient: Patient) =>
  w.registrarSend(from, 'offerPatientRegistration', [patient.enrolmentRef, patient.account.address])

/** `from` submits `patient`'s signed consent to enrolment. */
const registerWithSig = (w: MedrecWorld, from: LocalAccount, patient: Patient, deadline: bigint, signature: Hex) =>
  w.registrarSend(from, 'registerPatientWithSig', [patient.enrolmentRef, patient.account.address, deadline, signature])

/** `guardian` approves recovering world.patient to `newAccount`. */
const approve = (w: MedrecWorld, guardian: LocalAccount, newAccount: Address) =>
  w.registrarSend(guardian, 'approveRecovery', [w.patient.id, newAccount])

/** Governance starts recovering patient `id` (world.patient's, unless given) to `newAccount`. */
const governanceRecovers = (w: MedrecWorld, newAccount: Address, id: Hex = w.patient.id) =>
  w.registrarSend(w.governance, 'startGovernanceRecovery', [id, newAccount])

/** Asserts that `receipt` cancelled the recovery of world.patient to `newAccount`, by `by`. */
const expectRecoveryCancelled = (w: MedrecWorld, receipt: TransactionReceipt, newAccount: Address, by: Address) =>
  expectEvent(receipt, 'RecoveryCancelled', {id: w.patient.id, newAccount, by})

describe('Registrar governance', () => {
  it('starts with the deploying admin as governance and says so in an event', async () => {
    // Given a fresh deployment
    const w = await world()
    // When governance is read
    // Then it is the deployer, with no handover pending
    expect(await read.governance(w)).toBe(w.governance.address)
    expect(await w.registrarRead.pendingGovernance()).toBe(zeroAddress)
    const logs = await w.chain.publicClient.getContractEvents({
      address: w.registrar,
      abi: registrarAbi,
      eventName: 'GovernanceTransferred',
      fromBlock: 0n,
    })
    expect(logs.map((l) => l.args)).toEqual([{previous: zeroAddress, current: w.governance.address}])
  })

  it('hands governance over in two steps and refuses the old governance afterwards', async () => {
    // Given a new governance account
    const w = await world()
    const next = await newAccount(w.chain)
    // When governance starts the handover
    const started = await w.registrarSend(w.governance, 'transferGovernance', [next.address])
    expectEvent(started, 'GovernanceTransferStarted', {current: w.governance.address, pending: next.address})
    // Then nothing changes until the new account accepts
    expect(await read.governance(w)).toBe(w.governance.address)
    await expectRevert(
      w.registrarSend(next, 'registerProvider', [randomIdentity(), w.stranger.address]),
      'NotGovernance',
      [next.address],
    )
    // When it accepts
    const accepted = await w.registrarSend(next, 'acceptGovernance', [])
    expectEvent(accepted, 'GovernanceTransferred', {previous: w.governance.address, current: next.address})
    // Then it governs, and the old governance is refused everywhere
    expect(await read.governance(w)).toBe(next.address)
    await w.registrarSend(next, 'registerProvider', [randomIdentity(), w.stranger.address])
    const old = w.governance
    await expectRevert(
      w.registrarSend(old, 'registerProvider', [randomIdentity(), (await newAccount(w.chain)).address]),
      'NotGovernance',
      [old.address],
    )
    await expectRevert(w.registrarSend(old, 'certifyProvider', [w.uncertifiedProvider.id]), 'NotGovernance')
    await expectRevert(w.registrarSend(old, 'decertifyProvider', [w.provider.id]), 'NotGovernance')
    await expectRevert(w.registrarSend(old, 'recoverSteward', [w.lab.id, w.stranger.address]), 'NotGovernance')
    await expectRevert(w.registrarSend(old, 'transferGovernance', [old.address]), 'NotGovernance')
    await expectRevert(
      w.registrarSend(old, 'startGovernanceRecovery', [w.patient.id, w.stranger.address]),
      'NotGovernance',
    )
  })

  it('lets governance cancel a pending handover by transferring to zero', async () => {
    // Given a pending handover
    const w = await world()
    const next = await newAccount(w.chain)
    await w.registrarSend(w.governance, 'transferGovernance', [next.address])
    // When governance cancels it
    await w.registrarSend(w.governance, 'transferGovernance', [zeroAddress])
    // Then the former candidate cannot accept
    await expectRevert(w.registrarSend(next, 'acceptGovernance', []), 'NotPendingGovernance', [next.address])
  })

  it('refuses acceptGovernance from everyone but the pending governance', async () => {
    // Given a pending handover
    const w = await world()
    const next = await newAccount(w.chain)
    await w.registrarSend(w.governance, 'transferGovernance', [next.address])
    // When anyone else accepts, Then it is refused
    for (const [, account] of everyRoleBut(w)) {
      await expectRevert(w.registrarSend(account, 'acceptGovernance', []), 'NotPendingGovernance', [account.address])
    }
  })

  it('refuses every governance function to every other role', async () => {
    // Given a world with all roles
    const w = await world()
    for (const [, account] of everyRoleBut(w, 'governance')) {
      // When a non-governance account calls a governance function, Then it is refused
      await expectRevert(w.registrarSend(account, 'transferGovernance', [account.address]), 'NotGovernance', [
        account.address,
      ])
      await expectRevert(
        w.registrarSend(account, 'registerProvider', [randomIdentity(), w.stranger.address]),
        'NotGovernance',
      )
      await expectRevert(w.registrarSend(account, 'certifyProvider', [w.uncertifiedProvider.id]), 'NotGovernance')
      await expectRevert(w.registrarSend(account, 'decertifyProvider', [w.provider.id]), 'NotGovernance')
      await expectRevert(w.registrarSend(account, 'recoverSteward', [w.lab.id, w.stranger.address]), 'NotGovernance')
      await expectRevert(
        w.registrarSend(account, 'startGovernanceRecovery', [w.patient.id, w.stranger.address]),
        'NotGovernance',
        [account.address],
      )
    }
  })
})

describe('Registrar providers and stewards', () => {
  it('registers a certified provider with its own Summary clone', async () => {
    // Given governance and a new provider key
    const w = await world()
    const provider: Member = {account: await newAccount(w.chain), id: randomIdentity()}
    // When governance registers it
    const receipt = await w.registrarSend(w.governance, 'registerProvider', [provider.id, provider.account.address])
    // Then it is a certified Provider bound both ways, with an initialized Summary
    const p = await read.participant(w, provider.id)
    expect(p).toMatchObject({account: provider.account.address, kind: ParticipantKind.Provider, certified: true})
    expect(await read.identityOf(w, provider.account.address)).toBe(provider.id)
    expectEvent(
      receipt,
      'ParticipantRegistered',
      {
        id: provider.id,
        kind: ParticipantKind.Provider,
        account: provider.account.address,
        summary: p.summary,
        registeredBy: w.governance.address,
      },
      w.registrar,
    )
    expectEvent(receipt, 'ProviderCertified', {id: provider.id})
    expectEvent(receipt, 'SummaryInitialized', {registrar: w.registrar, owner: provider.id}, p.summary)
    expect(await w.registrarRead.summaryOf([provider.id])).toBe(p.summary)
    expect(await summaryRead(w.chain, p.summary).owner()).toBe(provider.id)
    expect(await summaryRead(w.chain, p.summary).registrar()).toBe(w.registrar)
  })

  it('decertifies and recertifies a provider, which gates its registrations', async () => {
    // Given a certified provider
    const w = await world()
    // When governance decertifies it
    expectEvent(await w.registrarSend(w.governance, 'decertifyProvider', [w.provider.id]), 'ProviderDecertified', {
      id: w.provider.id,
    })
    // Then it can no longer register anyone
    expect(await w.registrarRead.isCertifiedProvider([w.provider.id])).toBe(false)
    await expectRevert(
      w.registrarSend(w.provider.account, 'registerSteward', [
        randomIdentity(),
        ParticipantKind.Lab,
        w.stranger.address,
      ]),
      'NotCertifiedProvider',
      [w.provider.account.address],
    )
    // When governance certifies it again
    expectEvent(await w.registrarSend(w.governance, 'certifyProvider', [w.provider.id]), 'ProviderCertified', {
      id: w.provider.id,
    })
    // Then it registers again
    await w.registrarSend(w.provider.account, 'registerSteward', [
      randomIdentity(),
      ParticipantKind.Lab,
      w.stranger.address,
    ])
  })

  it('refuses to certify a non-provider, an already certified one, or to decertify twice', async () => {
    const w = await world()
    // Given a lab, a certified provider and a decertified one
    // When governance misuses the whitelist, Then each call is refused with its reason
    await expectRevert(w.registrarSend(w.governance, 'certifyProvider', [w.lab.id]), 'WrongKind', [
      w.lab.id,
      ParticipantKind.Lab,
    ])
    await expectRevert(w.registrarSend(w.governance, 'certifyProvider', [randomIdentity()]), 'WrongKind')
    await expectRevert(w.registrarSend(w.governance, 'certifyProvider', [w.provider.id]), 'AlreadyCertified', [
      w.provider.id,
    ])
    await expectRevert(w.registrarSend(w.governance, 'decertifyProvider', [w.uncertifiedProvider.id]), 'NotCertified', [
      w.uncertifiedProvider.id,
    ])
  })

  it('lets a certified provider register insurers, labs and other stewards but not patients or providers', async () => {
    // Given a certified provider
    const w = await world()
    for (const kind of [ParticipantKind.Insurer, ParticipantKind.Lab, ParticipantKind.OtherSteward]) {
      // When it registers a steward of that kind, Then the steward exists with that kind
      const steward = await newAccount(w.chain)
      const id = randomIdentity()
      const receipt = await w.registrarSend(w.provider.account, 'registerSteward', [id, kind, steward.address])
      expect(await read.participant(w, id)).toMatchObject({account: steward.address, kind, certified: false})
      expectEvent(receipt, 'ParticipantRegistered', {
        id,
        kind,
        account: steward.address,
        summary: (await read.participant(w, id)).summary,
        registeredBy: w.provider.account.address,
      })
    }
    // When it tries a patient or a provider through this door, Then it is refused
    const id = randomIdentity()
    await expectRevert(
      w.registrarSend(w.provider.account, 'registerSteward', [id, ParticipantKind.Patient, w.stranger.address]),
      'WrongKind',
      [id, ParticipantKind.Patient],
    )
    await expectRevert(
      w.registrarSend(w.provider.account, 'registerSteward', [id, ParticipantKind.Provider, w.stranger.address]),
      'WrongKind',
      [id, ParticipantKind.Provider],
    )
  })

  it('refuses registrations by anyone but a certified provider', async () => {
    const w = await world()
    for (const [, account] of everyRoleBut(w, 'certified provider', 'other provider')) {
      // Given an account that is not a certified provider, When it registers anyone, Then it is refused
      const id = randomIdentity()
      await expectRevert(
        w.registrarSend(account, 'registerSteward', [id, ParticipantKind.Lab, w.stranger.address]),
        'NotCertifiedProvider',
        [account.address],
      )
      // (the id doubles as an enrolment reference: any bytes32 is refused alike)
      await expectRevert(
        w.registrarSend(account, 'offerPatientRegistration', [id, w.stranger.address]),
        'NotCertifiedProvider',
        [account.address],
      )
      await expectRevert(
        w.registrarSend(account, 'registerPatientWithSig', [id, w.stranger.address, 0n, '0x']),
        'NotCertifiedProvider',
        [account.address],
      )
    }
  })

  it('keeps identities and addresses one-to-one and refuses zero values', async () => {
    // Given registered participants
    const w = await world()
    const fresh = await newAccount(w.chain)
    // When a provider reuses a taken identity, a taken address, or zero, Then each is refused
    await expectRevert(
      w.registrarSend(w.provider.account, 'registerSteward', [w.lab.id, ParticipantKind.Lab, fresh.address]),
      'IdentityTaken',
      [w.lab.id],
    )
    await expectRevert(
      w.registrarSend(w.provider.account, 'registerSteward', [
        randomIdentity(),
        ParticipantKind.Lab,
        w.patient.account.address,
      ]),
      'AccountTaken',
      [w.patient.account.address],
    )
    await expectRevert(
      w.registrarSend(w.provider.account, 'registerSteward', [zeroHash, ParticipantKind.Lab, fresh.address]),
      'ZeroIdentity',
    )
    await expectRevert(
      w.registrarSend(w.provider.account, 'registerSteward', [randomIdentity(), ParticipantKind.Lab, zeroAddress]),
      'ZeroAddress',
    )
    await expectRevert(
      w.registrarSend(w.provider.account, 'offerPatientRegistration', [w.patient.enrolmentRef, fresh.address]),
      'IdentityTaken',
      [w.patient.id],
    )
    await expectRevert(
      w.registrarSend(w.provider.account, 'offerPatientRegistration', [zeroHash, fresh.address]),
      'ZeroIdentity',
    )
    await expectRevert(
      w.registrarSend(w.provider.account, 'offerPatientRegistration', [randomIdentity(), w.lab.account.address]),
      'AccountTaken',
      [w.lab.account.address],
    )
    await expectRevert(
      w.registrarSend(w.governance, 'registerProvider', [randomIdentity(), w.lab.account.address]),
      'AccountTaken',
    )
  })
})

describe('Registrar patient registration consent', () => {
  it('registers a patient who confirms a provider offer with its own transaction', async () => {
    // Given a provider's offer to a new patient key
    const w = await world()
    const patient = await newPatient(w.chain, w.provider)
    const offered = await offer(w, w.provider.account, patient)
    expectEvent(offered, 'PatientRegistrationOffered', {
      id: patient.id,
      account: patient.account.address,
      providerId: w.provider.id,
      enrolmentRef: patient.enrolmentRef,
    })
    // Then nothing is registered before the patient consents
    expect((await read.participant(w, patient.id)).kind).toBe(ParticipantKind.None)
    expect(await read.pending(w, patient.account.address, w.provider.id)).toBe(patient.enrolmentRef)
    // When the patient confirms enrolment at that provider
    const confirmed = await w.registrarSend(patient.account, 'confirmRegistration', [
      w.provider.id,
      patient.enrolmentRef,
    ])
    // Then it is a Patient bound both ways, in the provider's namespace, and the offer is gone
    expect(await read.participant(w, patient.id)).toMatchObject({
      account: patient.account.address,
      kind: ParticipantKind.Patient,
    })
    expect(await read.identityOf(w, patient.account.address)).toBe(patient.id)
    expect(await read.pending(w, patient.account.address, w.provider.id)).toBe(zeroHash)
    expectEvent(confirmed, 'ParticipantRegistered', {
      id: patient.id,
      kind: ParticipantKind.Patient,
      account: patient.account.address,
      summary: (await read.participant(w, patient.id)).summary,
      registeredBy: patient.account.address,
    })
    expectEvent(confirmed, 'PatientEnrolled', {
      id: patient.id,
      providerId: w.provider.id,
      enrolmentRef: patient.enrolmentRef,
    })
  })

  it('refuses a confirmation by another account, for another enrolment or another provider', async () => {
    // Given an offer to one key
    const w = await world()
    const patient = await newPatient(w.chain, w.provider)
    await offer(w, w.provider.account, patient)
    // When someone else, or the right key naming another reference or provider, confirms, Then it is refused
    await expectRevert(
      w.registrarSend(w.stranger, 'confirmRegistration', [w.provider.id, patient.enrolmentRef]),
      'NoPendingRegistration',
      [w.stranger.address, w.provider.id],
    )
    await expectRevert(
      w.registrarSend(patient.account, 'confirmRegistration', [w.provider.id, randomIdentity()]),
      'NoPendingRegistration',
      [patient.account.address, w.provider.id],
    )
    await expectRevert(
      w.registrarSend(patient.account, 'confirmRegistration', [w.otherProvider.id, patient.enrolmentRef]),
      'NoPendingRegistration',
      [patient.account.address, w.otherProvider.id],
    )
    await expectRevert(
      w.registrarSend(w.stranger, 'confirmRegistration', [w.provider.id, zeroHash]),
      'NoPendingRegistration',
    )
  })

  it('refuses a confirmation once the offering provider is off the whitelist', async () => {
    // Given an offer, and then the provider decertified
    const w = await world()
    const patient = await newPatient(w.chain, w.provider)
    await offer(w, w.provider.account, patient)
    await w.registrarSend(w.governance, 'decertifyProvider', [w.provider.id])
    // When the patient confirms, Then it is refused: nobody enrols in a decertified provider's namespace
    await expectRevert(
      w.registrarSend(patient.account, 'confirmRegistration', [w.provider.id, patient.enrolmentRef]),
      'NotCertified',
      [w.provider.id],
    )
  })

  it("keeps provider A's pending offer when provider B makes another to the same account", async () => {
    // Given provider A's offer to a key
    const w = await world()
    const atA = await newPatient(w.chain, w.provider)
    await offer(w, w.provider.account, atA)
    // When provider B offers another enrolment to the same key
    const refAtB = randomIdentity()
    await w.registrarSend(w.otherProvider.account, 'offerPatientRegistration', [refAtB, atA.account.address])
    // Then both offers stand, each under its provider
    expect(await read.pending(w, atA.account.address, w.provider.id)).toBe(atA.enrolmentRef)
    expect(await read.pending(w, atA.account.address, w.otherProvider.id)).toBe(refAtB)
    // And the patient can still accept A's, becoming A's patient
    await w.registrarSend(atA.account, 'confirmRegistration', [w.provider.id, atA.enrolmentRef])
    expect(await read.identityOf(w, atA.account.address)).toBe(atA.id)
  })

  it('gives the same local record number at two providers two identities', async () => {
    // Given both providers derive the same enrolment reference from MRN-0042 with the consortium key
    const w = await world()
    const ref = deriveIdentity(new Uint8Array(32).fill(9), 'MRN-0042')
    const alice = await newAccount(w.chain)
    const bob = await newAccount(w.chain)
    // When provider A enrols alice and provider B enrols bob under it
    await w.registrarSend(w.provider.account, 'offerPatientRegistration', [ref, alice.address])
    await w.registrarSend(w.otherProvider.account, 'offerPatientRegistration', [ref, bob.address])
    await w.registrarSend(alice, 'confirmRegistration', [w.provider.id, ref])
    await w.registrarSend(bob, 'confirmRegistration', [w.otherProvider.id, ref])
    // Then they are two identities, each the one both sides compute for its provider
    const aliceId = await read.identityOf(w, alice.address)
    const bobId = await read.identityOf(w, bob.address)
    expect(aliceId).not.toBe(bobId)
    expect(aliceId).toBe(patientIdentity(w.provider.id, ref))
    expect(bobId).toBe(patientIdentity(w.otherProvider.id, ref))
    expect(await w.registrarRead.patientIdentity([w.provider.id, ref])).toBe(aliceId)
  })

  it("refuses a provider pre-registering another provider's patient identity at a key it holds", async () => {
    // Given provider A's patient, whose enrolment reference every member can compute
    const w = await world()
    const real = await newPatient(w.chain, w.provider)
    const squatter = await newAccount(w.chain)
    const deadline = await inOneHour(w)
    // When provider B registers that reference at its own key with that key's consent
    const asB: Patient = {
      account: squatter,
      id: patientIdentity(w.otherProvider.id, real.enrolmentRef),
      provider: w.otherProvider.id,
      enrolmentRef: real.enrolmentRef,
    }
    const squatted = await w.registrarSend(w.otherProvider.account, 'registerPatientWithSig', [
      real.enrolmentRef,
      squatter.address,
      deadline,
      await signRegistration(w.chain, w.registrar, asB, 0n, deadline),
    ])
    // Then it only created an identity in B's own namespace; A's patient's identity is still free
    expectEvent(squatted, 'PatientEnrolled', {
      id: asB.id,
      providerId: w.otherProvider.id,
      enrolmentRef: real.enrolmentRef,
    })
    expect(asB.id).not.toBe(real.id)
    expect((await read.participant(w, real.id)).kind).toBe(ParticipantKind.None)
    // And a consent naming provider A cannot be used by B: the digest is built with B's identity
    const other = await newAccount(w.chain)
    const namingA: Patient = {account: other, id: real.id, provider: w.provider.id, enrolmentRef: real.enrolmentRef}
    const signedForA = await signRegistration(w.chain, w.registrar, namingA, 0n, deadline)
    await expectRevert(
      w.registrarSend(w.otherProvider.account, 'registerPatientWithSig', [
        real.enrolmentRef,
        other.address,
        deadline,
        signedForA,
      ]),
      'WrongSigner',
    )
    // And A enrols its real patient under that identity
    await registerWithSig(
      w,
      w.provider.account,
      real,
      deadline,
      await signRegistration(w.chain, w.registrar, real, 0n, deadline),
    )
    expect(await read.participant(w, real.id)).toMatchObject({
      account: real.account.address,
      kind: ParticipantKind.Patient,
    })
  })

  it('registers a patient with a valid EIP-712 consent and burns its nonce', async () => {
    // Given a new patient's signature
    const w = await world()
    const patient = await newPatient(w.chain, w.provider)
    const deadline = await inOneHour(w)
    const signature = await signRegistration(w.chain, w.registrar, patient, 0n, deadline)
    // When its provider submits it
    const receipt = await registerWithSig(w, w.provider.account, patient, deadline, signature)
    // Then the patient is registered under the provider's namespace and nonce 0 is used
    expect(await read.participant(w, patient.id)).toMatchObject({
      account: patient.account.address,
      kind: ParticipantKind.Patient,
    })
    expectEvent(receipt, 'NonceUsed', {signer: patient.account.address, nonce: 0n})
    expect(await w.registrarRead.nonces([patient.account.address])).toBe(1n)
  })

  it('refuses a registration signed by another key, or submitted by another provider', async () => {
    // Given a signature by another key over the patient's registration
    const w = await world()
    const patient = await newPatient(w.chain, w.provider)
    const deadline = await inOneHour(w)
    const signature = await signRegistration(w.chain, w.registrar, patient, 0n, deadline, w.stranger)
    // When a provider submits it, Then it is refused as the wrong signer
    await expectRevert(registerWithSig(w, w.provider.account, patient, deadline, signature), 'WrongSigner', [
      w.stranger.address,
      patient.account.address,
    ])
    // And the patient's own consent to enrolment at provider A does not enrol it at provider B
    const consent = await signRegistration(w.chain, w.registrar, patient, 0n, deadline)
    await expectRevert(registerWithSig(w, w.otherProvider.account, patient, deadline, consent), 'WrongSigner')
  })

  it('refuses a registration consent past its deadline', async () => {
    // Given a consent whose deadline is already over
    const w = await world()
    const patient = await newPatient(w.chain, w.provider)
    const deadline = (await chainTime(w.chain)) - 1n
    const signature = await signRegistration(w.chain, w.registrar, patient, 0n, deadline)
    // When it is submitted, Then it is refused as expired
    await expectRevert(registerWithSig(w, w.provider.account, patient, deadline, signature), 'SignatureExpired', [
      deadline,
    ])
  })

  it('refuses malleable (high-s), wrong-v and wrong-length signatures', async () => {
    // Given a valid consent and its malleated twins
    const w = await world()
    const patient = await newPatient(w.chain, w.provider)
    const deadline = await inOneHour(w)
    const signature = await signRegistration(w.chain, w.registrar, patient, 0n, deadline)
    const {highS, highSValue} = malleate(signature)
    const badV = `${signature.slice(0, 130)}1d` as Hex
    const args = (sig: Hex) => [patient.enrolmentRef, patient.account.address, deadline, sig] as const
    // When each is submitted, Then each is refused for its defect
    await expectRevert(
      w.registrarSend(w.provider.account, 'registerPatientWithSig', args(highS)),
      'InvalidSignatureS',
      [highSValue],
    )
    await expectRevert(
      w.registrarSend(w.provider.account, 'registerPatientWithSig', args(badV)),
      'InvalidSignatureV',
      [29],
    )
    await expectRevert(
      w.registrarSend(w.provider.account, 'registerPatientWithSig', args(signature.slice(0, 130) as Hex)),
      'InvalidSignatureLength',
      [64n],
    )
    // And the original still works, proving the twins differed only in their defect
    await w.registrarSend(w.provider.account, 'registerPatientWithSig', args(signature))
  })
})

describe('Registrar relationship addresses', () => {
  it('deploys a relationship at its CREATE2 prediction, whatever was deployed before it', async () => {
    // Given the address predicted from the pair alone (EIP-1014 over the EIP-1167 proxy of the implementation)
    const w = await world()
    const pair = keccak256(encodeAbiParameters([{type: 'bytes32'}, {type: 'bytes32'}], [w.patient.id, w.lab.id]))
    const proxy = concat([
      '0x3d602d80600a3d3981f3363d3d373d3d3d363d73',
      w.relationshipImplementation,
      '0x5af43d82803e903d91602b57fd5bf3',
    ])
    const predicted = getContractAddress({opcode: 'CREATE2', from: w.registrar, salt: pair, bytecode: proxy})
    expect(await w.registrarRead.relationshipAddress([w.patient.id, w.lab.id])).toBe(predicted)
    // When the Registrar first deploys other clones (a steward's Summary, other pairs' Relationships)
    await w.registrarSend(w.provider.account, 'registerSteward', [
      randomIdentity(),
      ParticipantKind.Lab,
      (await newAccount(w.chain)).address,
    ])
    await proposeRelationship(w, w.otherProvider, w.patient)
    await proposeRelationship(w, w.provider, w.otherPatient)
    // Then the pair's Relationship is still created exactly there
    const receipt = await w.registrarSend(w.lab.account, 'propose', [
      w.patient.id,
      'https://gatekeeper.example/fhir',
      randomIdentity(),
      randomIdentity(),
    ])
    expectEvent(
      receipt,
      'RelationshipCreated',
      {relationship: predicted, patient: w.patient.id, steward: w.lab.id},
      w.registrar,
    )
    expect(await w.registrarRead.relationshipOf([w.patient.id, w.lab.id])).toBe(predicted)
    // And a participant's Summary sits at the CREATE2 address of its identity
    const summaryProxy = concat([
      '0x3d602d80600a3d3981f3363d3d373d3d3d363d73',
      w.summaryImplementation,
      '0x5af43d82803e903d91602b57fd5bf3',
    ])
    expect((await read.participant(w, w.patient.id)).summary).toBe(
      getContractAddress({opcode: 'CREATE2', from: w.registrar, salt: w.patient.id, bytecode: summaryProxy}),
    )
  })
})

describe('Registrar address rotation', () => {
  it('lets a participant rotate its own address; the old key loses every power', async () => {
    // Given a patient with an accepted relationship
    const w = await world()
    const relationship = await acceptedRelationship(w)
    const oldKey = w.patient.account
    const newKey = await newAccount(w.chain)
    // When the patient rotates with its current key
    const receipt = await w.registrarSend(oldKey, 'rotateAddress', [newKey.address])
    // Then the identity points to the new key only
    expectEvent(receipt, 'AddressRotated', {
      id: w.patient.id,
      oldAccount: oldKey.address,
      newAccount: newKey.address,
      authorizedBy: oldKey.address,
    })
    expect(await read.identityOf(w, newKey.address)).toBe(w.patient.id)
    expect(await read.identityOf(w, oldKey.address)).toBe(zeroHash)
    expect((await read.participant(w, w.patient.id)).account).toBe(newKey.address)
    expect(await read.canAccess(w, relationship, oldKey.address)).toBe(false)
    expect(await read.canAccess(w, relationship, newKey.address)).toBe(true)
    await expectRevert(w.registrarSend(oldKey, 'end', [relationship]), 'NotPatient', [oldKey.address])
    await w.registrarSend(newKey, 'end', [relationship])
    // And a lab rotates its own key the same way
    const labKey = await newAccount(w.chain)
    await w.registrarSend(w.lab.account, 'rotateAddress', [labKey.address])
    expect(await read.identityOf(w, labKey.address)).toBe(w.lab.id)
  })

  it('refuses rotation by an unregistered address or onto a taken or zero address', async () => {
    const w = await world()
    // Given registered and unregistered accounts, When they rotate wrongly, Then each is refused
    await expectRevert(
      w.registrarSend(w.stranger, 'rotateAddress', [(await newAccount(w.chain)).address]),
      'NotRegistered',
      [w.stranger.address],
    )
    await expectRevert(
      w.registrarSend(w.viewer, 'rotateAddress', [(await newAccount(w.chain)).address]),
      'NotRegistered',
      [w.viewer.address],
    )
    await expectRevert(w.registrarSend(w.patient.account, 'rotateAddress', [w.lab.account.address]), 'AccountTaken', [
      w.lab.account.address,
    ])
    await expectRevert(w.registrarSend(w.patient.account, 'rotateAddress', [zeroAddress]), 'ZeroAddress')
  })

  it('refuses a provider rotating its own account: only governance moves it', async () => {
    // Given certified and decertified providers
    const w = await world()
    // When each rotates itself, Then it is refused, naming the identity
    for (const provider of [w.provider, w.uncertifiedProvider]) {
      await expectRevert(
        w.registrarSend(provider.account, 'rotateAddress', [(await newAccount(w.chain)).address]),
        'ProviderSelfRotation',
        [provider.id],
      )
    }
    // And governance still can
    const newKey = await newAccount(w.chain)
    await w.registrarSend(w.governance, 'recoverSteward', [w.provider.id, newKey.address])
    expect(await read.identityOf(w, newKey.address)).toBe(w.provider.id)
  })

  it('lets governance recover a steward but never a patient', async () => {
    // Given a lab whose key is lost
    const w = await world()
    const newKey = await newAccount(w.chain)
    // When governance recovers it
    const receipt = await w.registrarSend(w.governance, 'recoverSteward', [w.lab.id, newKey.address])
    // Then the lab lives at the new key
    expectEvent(receipt, 'AddressRotated', {
      id: w.lab.id,
      oldAccount: w.lab.account.address,
      newAccount: newKey.address,
      authorizedBy: w.governance.address,
    })
    expect(await read.identityOf(w, newKey.address)).toBe(w.lab.id)
    // When governance tries the same on a patient or an unknown id, Then it is refused
    await expectRevert(
      w.registrarSend(w.governance, 'recoverSteward', [w.patient.id, (await newAccount(w.chain)).address]),
      'WrongKind',
      [w.patient.id, ParticipantKind.Patient],
    )
    const unknown = randomIdentity()
    await expectRevert(
      w.registrarSend(w.governance, 'recoverSteward', [unknown, (await newAccount(w.chain)).address]),
      'UnknownIdentity',
      [unknown],
    )
  })
})

/** Registrar's recoverPatient before this change: a certified provider plus the NEW key's signature. */
const legacyRecoverPatientAbi = [
  {
    type: 'function',
    name: 'recoverPatient',
    stateMutability: 'nonpayable',
    inputs: [
      {name: 'id', type: 'bytes32'},
      {name: 'newAccount', type: 'address'},
      {name: 'deadline', type: 'uint256'},
      {name: 'signature', type: 'bytes'},
    ],
    outputs: [],
  },
] as const

const day = 86_400n

/** The world's patient names `count` fresh guardians, `threshold` of whom recover after `delay`. */
async function withGuardians(w: MedrecWorld, count = 3, threshold = 2, delay = day): Promise<LocalAccount[]> {
  const guardians = await Promise.all(Array.from({length: count}, () => newAccount(w.chain)))
  await w.registrarSend(w.patient.account, 'setRecoveryGuardians', [
    guardians.map((g) => g.address),
    threshold,
    Number(delay),
  ])
  return guardians
}

const pendingRecovery = (w: MedrecWorld) => w.registrarRead.pendingRecovery([w.patient.id])

/** `guardian` approves recovering world.patient to `newAccount` as the first of two: nothing starts yet. */
async function approveFirstOfTwo(w: MedrecWorld, guardian: LocalAccount, newAccount: Address): Promise<void> {
  const receipt = await approve(w, guardian, newAccount)
  const approval = {id: w.patient.id, newAccount, guardian: guardian.address, approvals: 1n, threshold: 2n}
  expectEvent(receipt, 'RecoveryApproved', approval)
  expect((await pendingRecovery(w)).newAccount).toBe(zeroAddress)
}

describe('Registrar patient recovery', () => {
  it('refuses a certified provider with no relationship taking over a patient', async () => {
    // Given a patient with an accepted relationship, and another certified provider with a key of its own
    const w = await world()
    const relationship = await acceptedRelationship(w)
    const attackerKey = await newAccount(w.chain)
    const deadline = await inOneHour(w)
    // When that provider "recovers" the patient to its key with that key's signature (the old recoverPatient)
    const signature = await signRecovery(w.chain, w.registrar, attackerKey, w.patient.id, 0n, deadline)
    const legacy = encodeFunctionData({
      abi: legacyRecoverPatientAbi,
      functionName: 'recoverPatient',
      args: [w.patient.id, attackerKey.address, deadline, signature],
    })
    await expect(send(w.chain, w.otherProvider.account, w.registrar, legacy)).rejects.toThrow()
    // Or tries each recovery path open to a non-guardian, non-governance account
    await expectRevert(approve(w, w.otherProvider.account, attackerKey.address), 'NotGuardian', [
      w.patient.id,
      w.otherProvider.account.address,
    ])
    await expectRevert(
      w.registrarSend(w.otherProvider.account, 'startGovernanceRecovery', [w.patient.id, attackerKey.address]),
      'NotGovernance',
    )
    await expectRevert(w.registrarSend(attackerKey, 'completeRecovery', [w.patient.id]), 'NoPendingRecovery', [
      w.patient.id,
    ])
    await expectRevert(
      w.registrarSend(w.otherProvider.account, 'completeRecoveryWithSig', [
        w.patient.id,
        attackerKey.address,
        deadline,
        signature,
      ]),
      'NoPendingRecovery',
      [w.patient.id],
    )
    // Then the patient still holds its identity and its relationship; the attacker holds nothing
    expect(await read.identityOf(w, w.patient.account.address)).toBe(w.patient.id)
    expect(await read.identityOf(w, attackerKey.address)).toBe(zeroHash)
    await expectRevert(
      w.registrarSend(attackerKey, 'grantViewer', [relationship, attackerKey.address, 1n, deadline]),
      'NotPatient',
    )
    await w.registrarSend(w.patient.account, 'grantViewer', [relationship, w.viewer.address, 1n, deadline])
    await w.registrarSend(w.patient.account, 'revokeViewer', [relationship, w.viewer.address])
  })

  it('recovers a patient through its guardians after the delay, completed by the new key', async () => {
    // Given a patient with three guardians, two of whom recover after a day, and an accepted relationship
    const w = await world()
    const relationship = await acceptedRelationship(w)
    const guardians = await withGuardians(w)
    const newKey = await newAccount(w.chain)
    // When one guardian approves, nothing starts
    await approveFirstOfTwo(w, guardians[0]!, newKey.address)
    // When a second approves the same new key, the recovery starts with its delay
    const second = await approve(w, guardians[2]!, newKey.address)
    const startedAt = (await w.chain.publicClient.getBlock({blockNumber: second.blockNumber})).timestamp
    expectEvent(second, 'RecoveryStarted', {
      id: w.patient.id,
      newAccount: newKey.address,
      readyAt: startedAt + day,
      byGovernance: false,
    })
    // And after the delay the new key completes it
    await advanceChainTime(w.chain, day)
    const done = await w.registrarSend(newKey, 'completeRecovery', [w.patient.id])
    expectEvent(done, 'RecoveryCompleted', {id: w.patient.id, newAccount: newKey.address})
    expectEvent(done, 'AddressRotated', {
      id: w.patient.id,
      oldAccount: w.patient.account.address,
      newAccount: newKey.address,
      authorizedBy: newKey.address,
    })
    // Then the identity lives at the new key, and the old key lost every power
    expect(await read.identityOf(w, newKey.address)).toBe(w.patient.id)
    expect(await read.identityOf(w, w.patient.account.address)).toBe(zeroHash)
    expect((await pendingRecovery(w)).newAccount).toBe(zeroAddress)
    await expectRevert(w.registrarSend(w.patient.account, 'end', [relationship]), 'NotPatient', [
      w.patient.account.address,
    ])
    await w.registrarSend(newKey, 'end', [relationship])
    // And the used approvals cannot start the same recovery again
    await expectRevert(w.registrarSend(newKey, 'completeRecovery', [w.patient.id]), 'NoPendingRecovery', [w.patient.id])
  })

  it('lets the current key veto a guardian recovery, voiding every approval', async () => {
    // Given a started guardian recovery
    const w = await world()
    const guardians = await withGuardians(w)
    const newKey = await newAccount(w.chain)
    for (const g of guardians.slice(0, 2)) await approve(w, g, newKey.address)
    // When the patient's current key cancels it
    const cancelled = await w.registrarSend(w.patient.account, 'cancelRecovery', [])
    expectRecoveryCancelled(w, cancelled, newKey.address, w.patient.account.address)
    // Then it cannot complete, even after the delay
    await advanceChainTime(w.chain, 2n * day)
    await expectRevert(w.registrarSend(newKey, 'completeRecovery', [w.patient.id]), 'NoPendingRecovery', [w.patient.id])
    // And the earlier approvals no longer count: one more approval is not the threshold
    await approveFirstOfTwo(w, guardians[2]!, newKey.address)
    // And a rotation by the current key cancels a pending recovery too
    await approve(w, guardians[0]!, newKey.address)
    expect((await pendingRecovery(w)).newAccount).toBe(newKey.address)
    const rotatedKey = await newAccount(w.chain)
    expectEvent(await w.registrarSend(w.patient.account, 'rotateAddress', [rotatedKey.address]), 'RecoveryCancelled', {
      id: w.patient.id,
      newAccount: newKey.address,
      by: w.patient.account.address,
    })
    await advanceChainTime(w.chain, 2n * day)
    await expectRevert(w.registrarSend(newKey, 'completeRecovery', [w.patient.id]), 'NoPendingRecovery', [w.patient.id])
  })

  it('refuses to complete a recovery before its delay is over', async () => {
    // Given a guardian recovery started just now
    const w = await world()
    const guardians = await withGuardians(w)
    const newKey = await newAccount(w.chain)
    await approve(w, guardians[0]!, newKey.address)
    await approve(w, guardians[1]!, newKey.address)
    const {readyAt} = await pendingRecovery(w)
    // When the new key completes it at once, or a minute before the delay is over, Then it is refused
    await expectRevert(w.registrarSend(newKey, 'completeRecovery', [w.patient.id]), 'RecoveryNotReady', [
      w.patient.id,
      readyAt,
    ])
    await advanceChainTime(w.chain, day - 60n)
    await expectRevert(w.registrarSend(newKey, 'completeRecovery', [w.patient.id]), 'RecoveryNotReady', [
      w.patient.id,
      readyAt,
    ])
    // And once it is over, it completes
    await advanceChainTime(w.chain, 60n)
    await w.registrarSend(newKey, 'completeRecovery', [w.patient.id])
    expect(await read.identityOf(w, newKey.address)).toBe(w.patient.id)
  })

  it('refuses approvals from anyone who is not a current guardian of that patient', async () => {
    // Given a patient with guardians, and the other patient with guardians of its own
    const w = await world()
    const guardians = await withGuardians(w)
    const othersGuardian = await newAccount(w.chain)
    await w.registrarSend(w.otherPatient.account, 'setRecoveryGuardians', [[othersGuardian.address], 1, Number(day)])
    const newKey = await newAccount(w.chain)
    // When anyone else approves, Then it is refused
    const others: [string, LocalAccount][] = [...everyRoleBut(w), ["another patient's guardian", othersGuardian]]
    for (const [, account] of others) {
      await expectRevert(approve(w, account, newKey.address), 'NotGuardian', [w.patient.id, account.address])
    }
    // And a guardian the patient replaced is refused too, while a guardian approves only once
    await w.registrarSend(w.patient.account, 'setRecoveryGuardians', [[guardians[1]!.address], 1, Number(day)])
    await expectRevert(approve(w, guardians[0]!, newKey.address), 'NotGuardian', [w.patient.id, guardians[0]!.address])
    // And a patient without guardians has none to approve
    await w.registrarSend(w.patient.account, 'setRecoveryGuardians', [[], 0, 0])
    await expectRevert(approve(w, guardians[1]!, newKey.address), 'NotGuardian', [w.patient.id, guardians[1]!.address])
  })

  it('counts each guardian once and only toward a free, non-zero account', async () => {
    const w = await world()
    const guardians = await withGuardians(w)
    const newKey = await newAccount(w.chain)
    await approve(w, guardians[0]!, newKey.address)
    const key = await w.registrarRead.recoveryKey([w.patient.id, newKey.address])
    await expectRevert(approve(w, guardians[0]!, newKey.address), 'AlreadyApproved', [key, guardians[0]!.address])
    await expectRevert(approve(w, guardians[1]!, w.lab.account.address), 'AccountTaken', [w.lab.account.address])
    await expectRevert(approve(w, guardians[1]!, zeroAddress), 'ZeroAddress')
  })

  it('refuses completion by anyone but the new key, directly or by signature', async () => {
    // Given a recovery ready to complete
    const w = await world()
    const guardians = await withGuardians(w)
    const newKey = await newAccount(w.chain)
    for (const g of guardians.slice(0, 2)) await approve(w, g, newKey.address)
    await advanceChainTime(w.chain, day)
    // When a guardian, a provider or a stranger completes it, Then it is refused
    for (const account of [guardians[0]!, w.provider.account, w.stranger]) {
      await expectRevert(w.registrarSend(account, 'completeRecovery', [w.patient.id]), 'NotRecoveryAccount', [
        w.patient.id,
        account.address,
      ])
    }
    // And a completion signed by another key, or naming another account, is refused
    const deadline = await inOneHour(w)
    const forged = await signRecovery(w.chain, w.registrar, newKey, w.patient.id, 0n, deadline, w.stranger)
    await expectRevert(
      w.registrarSend(w.provider.account, 'completeRecoveryWithSig', [w.patient.id, newKey.address, deadline, forged]),
      'WrongSigner',
      [w.stranger.address, newKey.address],
    )
    const strangers = await signRecovery(w.chain, w.registrar, w.stranger, w.patient.id, 0n, deadline)
    await expectRevert(
      w.registrarSend(w.provider.account, 'completeRecoveryWithSig', [
        w.patient.id,
        w.stranger.address,
        deadline,
        strangers,
      ]),
      'NotRecoveryAccount',
      [w.patient.id, w.stranger.address],
    )
    // When the new key's signature is relayed by anyone, Then it completes
    const signed = await signRecovery(w.chain, w.registrar, newKey, w.patient.id, 0n, deadline)
    await w.registrarSend(w.stranger, 'completeRecoveryWithSig', [w.patient.id, newKey.address, deadline, signed])
    expect(await read.identityOf(w, newKey.address)).toBe(w.patient.id)
  })

  it('validates a guardian set-up and lets only the patient make it', async () => {
    const w = await world()
    const nine = await Promise.all(Array.from({length: 9}, () => newAccount(w.chain)))
    const addresses = nine.map((g) => g.address)
    const set = (from: LocalAccount, guardians: readonly `0x${string}`[], threshold: number, delay: bigint) =>
      w.registrarSend(from, 'setRecoveryGuardians', [guardians, threshold, Number(delay)])
    // When the set-up is out of bounds, Then each is refused with its reason
    await expectRevert(set(w.patient.account, addresses, 2, day), 'TooManyGuardians', [9n])
    await expectRevert(set(w.patient.account, addresses.slice(0, 3), 0, day), 'InvalidThreshold', [0n, 3n])
    await expectRevert(set(w.patient.account, addresses.slice(0, 3), 4, day), 'InvalidThreshold', [4n, 3n])
    await expectRevert(set(w.patient.account, [], 1, day), 'InvalidThreshold', [1n, 0n])
    await expectRevert(set(w.patient.account, addresses.slice(0, 3), 2, day - 1n), 'InvalidRecoveryDelay', [day - 1n])
    await expectRevert(set(w.patient.account, addresses.slice(0, 3), 2, 91n * day), 'InvalidRecoveryDelay', [91n * day])
    await expectRevert(set(w.patient.account, [addresses[0]!, addresses[0]!], 1, day), 'InvalidGuardian', [
      addresses[0],
    ])
    await expectRevert(set(w.patient.account, [addresses[0]!, zeroAddress], 1, day), 'InvalidGuardian', [zeroAddress])
    await expectRevert(set(w.patient.account, [w.patient.account.address], 1, day), 'InvalidGuardian', [
      w.patient.account.address,
    ])
    // When anyone but a patient sets guardians, Then it is refused
    for (const account of [w.provider.account, w.lab.account, w.governance, w.stranger]) {
      await expectRevert(set(account, addresses.slice(0, 2), 1, day), 'NotPatient', [account.address])
      await expectRevert(w.registrarSend(account, 'cancelRecovery', []), 'NotPatient', [account.address])
      await expectRevert(w.registrarSend(account, 'setGovernanceRecovery', [false]), 'NotPatient', [account.address])
    }
    // When the patient sets eight guardians, Then they are recorded with an event
    const receipt = await set(w.patient.account, addresses.slice(0, 8), 5, 30n * day)
    expectEvent(receipt, 'RecoveryGuardiansSet', {
      id: w.patient.id,
      guardians: addresses.slice(0, 8),
      threshold: 5,
      delay: Number(30n * day),
    })
    const [guardians, threshold, delay, governanceAllowed] = await w.registrarRead.recoverySetup([w.patient.id])
    expect({guardians, threshold, delay, governanceAllowed}).toEqual({
      guardians: addresses.slice(0, 8),
      threshold: 5,
      delay: Number(30n * day),
      governanceAllowed: true,
    })
  })

  it('lets governance start a recovery that completes after seven days unless the patient vetoes it', async () => {
    // Given governance starts a recovery of the patient
    const w = await world()
    const newKey = await newAccount(w.chain)
    const started = await governanceRecovers(w, newKey.address)
    const startedAt = (await w.chain.publicClient.getBlock({blockNumber: started.blockNumber})).timestamp
    expectEvent(started, 'RecoveryStarted', {
      id: w.patient.id,
      newAccount: newKey.address,
      readyAt: startedAt + 7n * day,
      byGovernance: true,
    })
    // Then a second one cannot be started while it is pending
    await expectRevert(governanceRecovers(w, (await newAccount(w.chain)).address), 'RecoveryPending', [w.patient.id])
    // And it cannot complete before seven days
    await advanceChainTime(w.chain, 6n * day)
    await expectRevert(w.registrarSend(newKey, 'completeRecovery', [w.patient.id]), 'RecoveryNotReady', [
      w.patient.id,
      startedAt + 7n * day,
    ])
    // When the patient vetoes it, Then it never completes
    await w.registrarSend(w.patient.account, 'cancelRecovery', [])
    await advanceChainTime(w.chain, 2n * day)
    await expectRevert(w.registrarSend(newKey, 'completeRecovery', [w.patient.id]), 'NoPendingRecovery', [w.patient.id])
    // When governance starts it again and nobody vetoes, Then the new key completes it after seven days
    await governanceRecovers(w, newKey.address)
    await advanceChainTime(w.chain, 7n * day)
    await w.registrarSend(newKey, 'completeRecovery', [w.patient.id])
    expect(await read.identityOf(w, newKey.address)).toBe(w.patient.id)
    // And governance never recovers a steward or an unknown identity this way
    await expectRevert(governanceRecovers(w, w.stranger.address, w.lab.id), 'WrongKind', [
      w.lab.id,
      ParticipantKind.Lab,
    ])
    const unknown = randomIdentity()
    await expectRevert(governanceRecovers(w, w.stranger.address, unknown), 'UnknownIdentity', [unknown])
  })

  it("waits at least the patient's own delay on a governance recovery, and lets guardians replace one", async () => {
    // Given guardians with a 30-day delay, and a recovery governance started
    const w = await world()
    const guardians = await withGuardians(w, 2, 2, 30n * day)
    const governancePick = await newAccount(w.chain)
    const started = await governanceRecovers(w, governancePick.address)
    const startedAt = (await w.chain.publicClient.getBlock({blockNumber: started.blockNumber})).timestamp
    expect((await pendingRecovery(w)).readyAt).toBe(startedAt + 30n * day)
    // When the guardians agree on another key, Then theirs replaces governance's
    const guardiansPick = await newAccount(w.chain)
    await approve(w, guardians[0]!, guardiansPick.address)
    const replaced = await approve(w, guardians[1]!, guardiansPick.address)
    expectRecoveryCancelled(w, replaced, governancePick.address, guardians[1]!.address)
    expect(await pendingRecovery(w)).toMatchObject({newAccount: guardiansPick.address, byGovernance: false})
    // And governance cannot replace the guardians' recovery
    await expectRevert(governanceRecovers(w, governancePick.address), 'RecoveryPending', [w.patient.id])
  })

  it('lets guardians replace a pending recovery that someone blocked by registering its new account', async () => {
    // Given a guardian recovery to a new key, which a certified provider then registers as a lab
    const w = await world()
    const guardians = await withGuardians(w)
    const blocked = await newAccount(w.chain)
    for (const g of guardians.slice(0, 2)) await approve(w, g, blocked.address)
    await w.registrarSend(w.otherProvider.account, 'registerSteward', [
      randomIdentity(),
      ParticipantKind.Lab,
      blocked.address,
    ])
    await advanceChainTime(w.chain, day)
    await expectRevert(w.registrarSend(blocked, 'completeRecovery', [w.patient.id]), 'AccountTaken', [blocked.address])
    // When the guardians agree on another key, Then it replaces the dead recovery
    const next = await newAccount(w.chain)
    await approve(w, guardians[0]!, next.address)
    const replaced = await approve(w, guardians[1]!, next.address)
    expectRecoveryCancelled(w, replaced, blocked.address, guardians[1]!.address)
    expect((await pendingRecovery(w)).newAccount).toBe(next.address)
    // And while that one can still complete, nobody replaces it
    await expectRevert(governanceRecovers(w, w.stranger.address), 'RecoveryPending', [w.patient.id])
  })

  it('lets the patient opt out of governance recovery, cancelling one under way', async () => {
    // Given a governance recovery under way
    const w = await world()
    const newKey = await newAccount(w.chain)
    await governanceRecovers(w, newKey.address)
    // When the patient opts out
    const optOut = await w.registrarSend(w.patient.account, 'setGovernanceRecovery', [false])
    expectEvent(optOut, 'GovernanceRecoverySet', {id: w.patient.id, allowed: false})
    expectRecoveryCancelled(w, optOut, newKey.address, w.patient.account.address)
    // Then that recovery never completes and governance cannot start another
    await advanceChainTime(w.chain, 8n * day)
    await expectRevert(w.registrarSend(newKey, 'completeRecovery', [w.patient.id]), 'NoPendingRecovery', [w.patient.id])
    await expectRevert(governanceRecovers(w, newKey.address), 'GovernanceRecoveryDisabled', [w.patient.id])
    // When the patient opts back in, Then governance may again
    await w.registrarSend(w.patient.account, 'setGovernanceRecovery', [true])
    await governanceRecovers(w, newKey.address)
  })
})

import {zeroAddress, zeroHash, type Hex, type LocalAccount} from 'viem'
import {describe, expect, it} from 'vitest'

import {registrarAbi} from './abi/registrar.js'
import {summaryAbi} from './abi/summary.js'
import {
  acceptedRelationship,
  chainTime,
  deployMedrecWorld,
  newAccount,
  ParticipantKind,
  randomIdentity,
  signRecovery,
  signRegistration,
  type MedrecWorld,
  type Member,
} from './testing/medrec-test-world.js'
import {malleate} from './testing/signature-test-util.js'
import {expectEvent, expectRevert, useMedrecChain} from './testing/test-context.js'

const ctx = useMedrecChain()
const world = async (): Promise<MedrecWorld> => deployMedrecWorld(ctx.chain(), ctx.compiled().artifacts)

const read = {
  participant: async (w: MedrecWorld, id: Hex) =>
    w.chain.publicClient.readContract({address: w.registrar, abi: registrarAbi, functionName: 'participant', args: [id]}),
  identityOf: async (w: MedrecWorld, account: `0x${string}`) =>
    w.chain.publicClient.readContract({address: w.registrar, abi: registrarAbi, functionName: 'identityOf', args: [account]}),
  governance: async (w: MedrecWorld) =>
    w.chain.publicClient.readContract({address: w.registrar, abi: registrarAbi, functionName: 'governance'}),
  canAccess: async (w: MedrecWorld, relationship: `0x${string}`, requester: `0x${string}`) =>
    w.chain.publicClient.readContract({address: w.registrar, abi: registrarAbi, functionName: 'canAccess', args: [relationship, requester, 1n]}),
}

/** Every account in the world except governance, by role name. */
function nonGovernanceRoles(w: MedrecWorld): [string, LocalAccount][] {
  return [
    ['patient', w.patient.account],
    ['other patient', w.otherPatient.account],
    ['certified provider', w.provider.account],
    ['other provider', w.otherProvider.account],
    ['uncertified provider', w.uncertifiedProvider.account],
    ['lab steward', w.lab.account],
    ['viewer', w.viewer],
    ['random address', w.stranger],
  ]
}

/** Every account that is not a certified provider, by role name. */
function nonProviderRoles(w: MedrecWorld): [string, LocalAccount][] {
  return [
    ['governance', w.governance],
    ['patient', w.patient.account],
    ['other patient', w.otherPatient.account],
    ['uncertified provider', w.uncertifiedProvider.account],
    ['lab steward', w.lab.account],
    ['viewer', w.viewer],
    ['random address', w.stranger],
  ]
}

const inOneHour = async (w: MedrecWorld): Promise<bigint> => (await chainTime(w.chain)) + 3600n

describe('Registrar governance', () => {
  it('starts with the deploying admin as governance and says so in an event', async () => {
    // Given a fresh deployment
    const w = await world()
    // When governance is read
    // Then it is the deployer, with no handover pending
    expect(await read.governance(w)).toBe(w.governance.address)
    expect(await w.chain.publicClient.readContract({address: w.registrar, abi: registrarAbi, functionName: 'pendingGovernance'})).toBe(zeroAddress)
    const logs = await w.chain.publicClient.getContractEvents({address: w.registrar, abi: registrarAbi, eventName: 'GovernanceTransferred', fromBlock: 0n})
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
    await expectRevert(w.registrarSend(next, 'registerProvider', [randomIdentity(), w.stranger.address]), 'NotGovernance', [next.address])
    // When it accepts
    const accepted = await w.registrarSend(next, 'acceptGovernance', [])
    expectEvent(accepted, 'GovernanceTransferred', {previous: w.governance.address, current: next.address})
    // Then it governs, and the old governance is refused everywhere
    expect(await read.governance(w)).toBe(next.address)
    await w.registrarSend(next, 'registerProvider', [randomIdentity(), w.stranger.address])
    const old = w.governance
    await expectRevert(w.registrarSend(old, 'registerProvider', [randomIdentity(), (await newAccount(w.chain)).address]), 'NotGovernance', [old.address])
    await expectRevert(w.registrarSend(old, 'certifyProvider', [w.uncertifiedProvider.id]), 'NotGovernance')
    await expectRevert(w.registrarSend(old, 'decertifyProvider', [w.provider.id]), 'NotGovernance')
    await expectRevert(w.registrarSend(old, 'recoverSteward', [w.lab.id, w.stranger.address]), 'NotGovernance')
    await expectRevert(w.registrarSend(old, 'transferGovernance', [old.address]), 'NotGovernance')
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
    for (const [, account] of [['governance', w.governance] as [string, LocalAccount], ...nonGovernanceRoles(w)]) {
      await expectRevert(w.registrarSend(account, 'acceptGovernance', []), 'NotPendingGovernance', [account.address])
    }
  })

  it('refuses every governance function to every other role', async () => {
    // Given a world with all roles
    const w = await world()
    for (const [, account] of nonGovernanceRoles(w)) {
      // When a non-governance account calls a governance function, Then it is refused
      await expectRevert(w.registrarSend(account, 'transferGovernance', [account.address]), 'NotGovernance', [account.address])
      await expectRevert(w.registrarSend(account, 'registerProvider', [randomIdentity(), w.stranger.address]), 'NotGovernance')
      await expectRevert(w.registrarSend(account, 'certifyProvider', [w.uncertifiedProvider.id]), 'NotGovernance')
      await expectRevert(w.registrarSend(account, 'decertifyProvider', [w.provider.id]), 'NotGovernance')
      await expectRevert(w.registrarSend(account, 'recoverSteward', [w.lab.id, w.stranger.address]), 'NotGovernance')
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
    expectEvent(receipt, 'ParticipantRegistered', {id: provider.id, kind: ParticipantKind.Provider, account: provider.account.address, summary: p.summary, registeredBy: w.governance.address}, w.registrar)
    expectEvent(receipt, 'ProviderCertified', {id: provider.id})
    expectEvent(receipt, 'SummaryInitialized', {registrar: w.registrar, owner: provider.id}, p.summary)
    expect(await w.chain.publicClient.readContract({address: w.registrar, abi: registrarAbi, functionName: 'summaryOf', args: [provider.id]})).toBe(p.summary)
    expect(await w.chain.publicClient.readContract({address: p.summary, abi: summaryAbi, functionName: 'owner'})).toBe(provider.id)
    expect(await w.chain.publicClient.readContract({address: p.summary, abi: summaryAbi, functionName: 'registrar'})).toBe(w.registrar)
  })

  it('decertifies and recertifies a provider, which gates its registrations', async () => {
    // Given a certified provider
    const w = await world()
    // When governance decertifies it
    expectEvent(await w.registrarSend(w.governance, 'decertifyProvider', [w.provider.id]), 'ProviderDecertified', {id: w.provider.id})
    // Then it can no longer register anyone
    expect(await w.chain.publicClient.readContract({address: w.registrar, abi: registrarAbi, functionName: 'isCertifiedProvider', args: [w.provider.id]})).toBe(false)
    await expectRevert(w.registrarSend(w.provider.account, 'registerSteward', [randomIdentity(), ParticipantKind.Lab, w.stranger.address]), 'NotCertifiedProvider', [w.provider.account.address])
    // When governance certifies it again
    expectEvent(await w.registrarSend(w.governance, 'certifyProvider', [w.provider.id]), 'ProviderCertified', {id: w.provider.id})
    // Then it registers again
    await w.registrarSend(w.provider.account, 'registerSteward', [randomIdentity(), ParticipantKind.Lab, w.stranger.address])
  })

  it('refuses to certify a non-provider, an already certified one, or to decertify twice', async () => {
    const w = await world()
    // Given a lab, a certified provider and a decertified one
    // When governance misuses the whitelist, Then each call is refused with its reason
    await expectRevert(w.registrarSend(w.governance, 'certifyProvider', [w.lab.id]), 'WrongKind', [w.lab.id, ParticipantKind.Lab])
    await expectRevert(w.registrarSend(w.governance, 'certifyProvider', [randomIdentity()]), 'WrongKind')
    await expectRevert(w.registrarSend(w.governance, 'certifyProvider', [w.provider.id]), 'AlreadyCertified', [w.provider.id])
    await expectRevert(w.registrarSend(w.governance, 'decertifyProvider', [w.uncertifiedProvider.id]), 'NotCertified', [w.uncertifiedProvider.id])
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
      expectEvent(receipt, 'ParticipantRegistered', {id, kind, account: steward.address, summary: (await read.participant(w, id)).summary, registeredBy: w.provider.account.address})
    }
    // When it tries a patient or a provider through this door, Then it is refused
    const id = randomIdentity()
    await expectRevert(w.registrarSend(w.provider.account, 'registerSteward', [id, ParticipantKind.Patient, w.stranger.address]), 'WrongKind', [id, ParticipantKind.Patient])
    await expectRevert(w.registrarSend(w.provider.account, 'registerSteward', [id, ParticipantKind.Provider, w.stranger.address]), 'WrongKind', [id, ParticipantKind.Provider])
  })

  it('refuses registrations by anyone but a certified provider', async () => {
    const w = await world()
    for (const [, account] of nonProviderRoles(w)) {
      // Given an account that is not a certified provider, When it registers anyone, Then it is refused
      const id = randomIdentity()
      await expectRevert(w.registrarSend(account, 'registerSteward', [id, ParticipantKind.Lab, w.stranger.address]), 'NotCertifiedProvider', [account.address])
      await expectRevert(w.registrarSend(account, 'offerPatientRegistration', [id, w.stranger.address]), 'NotCertifiedProvider', [account.address])
      await expectRevert(w.registrarSend(account, 'registerPatientWithSig', [id, w.stranger.address, 0n, '0x']), 'NotCertifiedProvider', [account.address])
    }
  })

  it('keeps identities and addresses one-to-one and refuses zero values', async () => {
    // Given registered participants
    const w = await world()
    const fresh = await newAccount(w.chain)
    // When a provider reuses a taken identity, a taken address, or zero, Then each is refused
    await expectRevert(w.registrarSend(w.provider.account, 'registerSteward', [w.lab.id, ParticipantKind.Lab, fresh.address]), 'IdentityTaken', [w.lab.id])
    await expectRevert(w.registrarSend(w.provider.account, 'registerSteward', [randomIdentity(), ParticipantKind.Lab, w.patient.account.address]), 'AccountTaken', [w.patient.account.address])
    await expectRevert(w.registrarSend(w.provider.account, 'registerSteward', [zeroHash, ParticipantKind.Lab, fresh.address]), 'ZeroIdentity')
    await expectRevert(w.registrarSend(w.provider.account, 'registerSteward', [randomIdentity(), ParticipantKind.Lab, zeroAddress]), 'ZeroAddress')
    await expectRevert(w.registrarSend(w.provider.account, 'offerPatientRegistration', [w.patient.id, fresh.address]), 'IdentityTaken')
    await expectRevert(w.registrarSend(w.governance, 'registerProvider', [randomIdentity(), w.lab.account.address]), 'AccountTaken')
  })
})

describe('Registrar patient registration consent', () => {
  it('registers a patient who confirms a provider offer with its own transaction', async () => {
    // Given a provider's offer to a new patient key
    const w = await world()
    const patient: Member = {account: await newAccount(w.chain), id: randomIdentity()}
    const offered = await w.registrarSend(w.provider.account, 'offerPatientRegistration', [patient.id, patient.account.address])
    expectEvent(offered, 'PatientRegistrationOffered', {id: patient.id, account: patient.account.address, providerId: w.provider.id})
    // Then nothing is registered before the patient consents
    expect((await read.participant(w, patient.id)).kind).toBe(ParticipantKind.None)
    // When the patient confirms
    const confirmed = await w.registrarSend(patient.account, 'confirmRegistration', [patient.id])
    // Then it is a Patient bound both ways and the offer is gone
    expect(await read.participant(w, patient.id)).toMatchObject({account: patient.account.address, kind: ParticipantKind.Patient})
    expect(await read.identityOf(w, patient.account.address)).toBe(patient.id)
    expect(await w.chain.publicClient.readContract({address: w.registrar, abi: registrarAbi, functionName: 'pendingRegistration', args: [patient.account.address]})).toBe(zeroHash)
    expectEvent(confirmed, 'ParticipantRegistered', {id: patient.id, kind: ParticipantKind.Patient, account: patient.account.address, summary: (await read.participant(w, patient.id)).summary, registeredBy: patient.account.address})
  })

  it('refuses a confirmation by another account or for another identity', async () => {
    // Given an offer to one key
    const w = await world()
    const patient: Member = {account: await newAccount(w.chain), id: randomIdentity()}
    await w.registrarSend(w.provider.account, 'offerPatientRegistration', [patient.id, patient.account.address])
    // When someone else, or the right key with a different id, confirms, Then it is refused
    await expectRevert(w.registrarSend(w.stranger, 'confirmRegistration', [patient.id]), 'NoPendingRegistration', [w.stranger.address, patient.id])
    const otherId = randomIdentity()
    await expectRevert(w.registrarSend(patient.account, 'confirmRegistration', [otherId]), 'NoPendingRegistration', [patient.account.address, otherId])
    await expectRevert(w.registrarSend(w.stranger, 'confirmRegistration', [zeroHash]), 'NoPendingRegistration')
  })

  it('registers a patient with a valid EIP-712 consent and burns its nonce', async () => {
    // Given a new patient's signature
    const w = await world()
    const patient: Member = {account: await newAccount(w.chain), id: randomIdentity()}
    const deadline = await inOneHour(w)
    const signature = await signRegistration(w.chain, w.registrar, patient, 0n, deadline)
    // When a certified provider submits it
    const receipt = await w.registrarSend(w.provider.account, 'registerPatientWithSig', [patient.id, patient.account.address, deadline, signature])
    // Then the patient is registered and nonce 0 is used
    expect((await read.participant(w, patient.id)).kind).toBe(ParticipantKind.Patient)
    expectEvent(receipt, 'NonceUsed', {signer: patient.account.address, nonce: 0n})
    expect(await w.chain.publicClient.readContract({address: w.registrar, abi: registrarAbi, functionName: 'nonces', args: [patient.account.address]})).toBe(1n)
  })

  it('refuses a registration signed by someone other than the patient key', async () => {
    // Given a signature by another key over the patient's registration
    const w = await world()
    const patient: Member = {account: await newAccount(w.chain), id: randomIdentity()}
    const deadline = await inOneHour(w)
    const signature = await w.stranger.signTypedData({
      domain: {name: 'MedRec Registrar', version: '1', chainId: w.chain.chain.id, verifyingContract: w.registrar},
      types: {PatientRegistration: [{name: 'id', type: 'bytes32'}, {name: 'account', type: 'address'}, {name: 'nonce', type: 'uint256'}, {name: 'deadline', type: 'uint256'}]},
      primaryType: 'PatientRegistration',
      message: {id: patient.id, account: patient.account.address, nonce: 0n, deadline},
    })
    // When a provider submits it, Then it is refused as the wrong signer
    await expectRevert(w.registrarSend(w.provider.account, 'registerPatientWithSig', [patient.id, patient.account.address, deadline, signature]), 'WrongSigner', [w.stranger.address, patient.account.address])
  })

  it('refuses a registration consent past its deadline', async () => {
    // Given a consent whose deadline is already over
    const w = await world()
    const patient: Member = {account: await newAccount(w.chain), id: randomIdentity()}
    const deadline = (await chainTime(w.chain)) - 1n
    const signature = await signRegistration(w.chain, w.registrar, patient, 0n, deadline)
    // When it is submitted, Then it is refused as expired
    await expectRevert(w.registrarSend(w.provider.account, 'registerPatientWithSig', [patient.id, patient.account.address, deadline, signature]), 'SignatureExpired', [deadline])
  })

  it('refuses malleable (high-s), wrong-v and wrong-length signatures', async () => {
    // Given a valid consent and its malleated twins
    const w = await world()
    const patient: Member = {account: await newAccount(w.chain), id: randomIdentity()}
    const deadline = await inOneHour(w)
    const signature = await signRegistration(w.chain, w.registrar, patient, 0n, deadline)
    const {highS, highSValue} = malleate(signature)
    const badV = `${signature.slice(0, 130)}1d` as Hex
    const args = (sig: Hex) => [patient.id, patient.account.address, deadline, sig] as const
    // When each is submitted, Then each is refused for its defect
    await expectRevert(w.registrarSend(w.provider.account, 'registerPatientWithSig', args(highS)), 'InvalidSignatureS', [highSValue])
    await expectRevert(w.registrarSend(w.provider.account, 'registerPatientWithSig', args(badV)), 'InvalidSignatureV', [29])
    await expectRevert(w.registrarSend(w.provider.account, 'registerPatientWithSig', args(signature.slice(0, 130) as Hex)), 'InvalidSignatureLength', [64n])
    // And the original still works, proving the twins differed only in their defect
    await w.registrarSend(w.provider.account, 'registerPatientWithSig', args(signature))
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
    expectEvent(receipt, 'AddressRotated', {id: w.patient.id, oldAccount: oldKey.address, newAccount: newKey.address, authorizedBy: oldKey.address})
    expect(await read.identityOf(w, newKey.address)).toBe(w.patient.id)
    expect(await read.identityOf(w, oldKey.address)).toBe(zeroHash)
    expect((await read.participant(w, w.patient.id)).account).toBe(newKey.address)
    expect(await read.canAccess(w, relationship, oldKey.address)).toBe(false)
    expect(await read.canAccess(w, relationship, newKey.address)).toBe(true)
    await expectRevert(w.registrarSend(oldKey, 'end', [relationship]), 'NotPatient', [oldKey.address])
    await w.registrarSend(newKey, 'end', [relationship])
  })

  it('refuses rotation by an unregistered address or onto a taken or zero address', async () => {
    const w = await world()
    // Given registered and unregistered accounts, When they rotate wrongly, Then each is refused
    await expectRevert(w.registrarSend(w.stranger, 'rotateAddress', [(await newAccount(w.chain)).address]), 'NotRegistered', [w.stranger.address])
    await expectRevert(w.registrarSend(w.viewer, 'rotateAddress', [(await newAccount(w.chain)).address]), 'NotRegistered', [w.viewer.address])
    await expectRevert(w.registrarSend(w.patient.account, 'rotateAddress', [w.lab.account.address]), 'AccountTaken', [w.lab.account.address])
    await expectRevert(w.registrarSend(w.patient.account, 'rotateAddress', [zeroAddress]), 'ZeroAddress')
  })

  it('recovers a patient who lost its key through a certified provider and the new key’s consent', async () => {
    // Given a patient whose key is lost, and its new key's signed consent
    const w = await world()
    const newKey = await newAccount(w.chain)
    const deadline = await inOneHour(w)
    const signature = await signRecovery(w.chain, w.registrar, newKey, w.patient.id, 0n, deadline)
    // When a certified provider submits the recovery
    const receipt = await w.registrarSend(w.otherProvider.account, 'recoverPatient', [w.patient.id, newKey.address, deadline, signature])
    // Then the identity moved to the new key
    expectEvent(receipt, 'AddressRotated', {id: w.patient.id, oldAccount: w.patient.account.address, newAccount: newKey.address, authorizedBy: w.otherProvider.account.address})
    expect(await read.identityOf(w, newKey.address)).toBe(w.patient.id)
    expect(await read.identityOf(w, w.patient.account.address)).toBe(zeroHash)
  })

  it('refuses a patient recovery without the new key’s valid, unused consent', async () => {
    // Given a recovery signed by a key other than the new one
    const w = await world()
    const newKey = await newAccount(w.chain)
    const deadline = await inOneHour(w)
    const forged = await signRecovery(w.chain, w.registrar, w.stranger, w.patient.id, 0n, deadline)
    // When a provider submits it for the new key, Then it is the wrong signer
    await expectRevert(w.registrarSend(w.provider.account, 'recoverPatient', [w.patient.id, newKey.address, deadline, forged]), 'WrongSigner')
    // Given a used recovery whose key later rotated away again
    const signature = await signRecovery(w.chain, w.registrar, newKey, w.patient.id, 0n, deadline)
    await w.registrarSend(w.provider.account, 'recoverPatient', [w.patient.id, newKey.address, deadline, signature])
    await w.registrarSend(newKey, 'rotateAddress', [(await newAccount(w.chain)).address])
    // When the same signature is replayed, Then its nonce is spent
    await expectRevert(w.registrarSend(w.provider.account, 'recoverPatient', [w.patient.id, newKey.address, deadline, signature]), 'WrongSigner')
    // And an expired one is refused
    const late = (await chainTime(w.chain)) - 1n
    const expired = await signRecovery(w.chain, w.registrar, newKey, w.patient.id, 1n, late)
    await expectRevert(w.registrarSend(w.provider.account, 'recoverPatient', [w.patient.id, newKey.address, late, expired]), 'SignatureExpired', [late])
  })

  it('refuses patient recovery by anyone but a certified provider, and for non-patients', async () => {
    const w = await world()
    const newKey = await newAccount(w.chain)
    const deadline = await inOneHour(w)
    const signature = await signRecovery(w.chain, w.registrar, newKey, w.patient.id, 0n, deadline)
    // Given a valid consent, When a non-provider submits it, Then it is refused
    for (const [, account] of nonProviderRoles(w)) {
      await expectRevert(w.registrarSend(account, 'recoverPatient', [w.patient.id, newKey.address, deadline, signature]), 'NotCertifiedProvider', [account.address])
    }
    // When a provider targets a lab or an unknown identity, Then it is refused
    await expectRevert(w.registrarSend(w.provider.account, 'recoverPatient', [w.lab.id, newKey.address, deadline, signature]), 'WrongKind', [w.lab.id, ParticipantKind.Lab])
    const unknown = randomIdentity()
    await expectRevert(w.registrarSend(w.provider.account, 'recoverPatient', [unknown, newKey.address, deadline, signature]), 'UnknownIdentity', [unknown])
  })

  it('lets governance recover a steward but never a patient', async () => {
    // Given a lab whose key is lost
    const w = await world()
    const newKey = await newAccount(w.chain)
    // When governance recovers it
    const receipt = await w.registrarSend(w.governance, 'recoverSteward', [w.lab.id, newKey.address])
    // Then the lab lives at the new key
    expectEvent(receipt, 'AddressRotated', {id: w.lab.id, oldAccount: w.lab.account.address, newAccount: newKey.address, authorizedBy: w.governance.address})
    expect(await read.identityOf(w, newKey.address)).toBe(w.lab.id)
    // When governance tries the same on a patient or an unknown id, Then it is refused
    await expectRevert(w.registrarSend(w.governance, 'recoverSteward', [w.patient.id, (await newAccount(w.chain)).address]), 'WrongKind', [w.patient.id, ParticipantKind.Patient])
    const unknown = randomIdentity()
    await expectRevert(w.registrarSend(w.governance, 'recoverSteward', [unknown, (await newAccount(w.chain)).address]), 'UnknownIdentity', [unknown])
  })
})

import {encodeFunctionData, getAddress, type Hex, type LocalAccount} from 'viem'
import {describe, expect, it} from 'vitest'

import {registrarAbi} from '../contracts/abi/registrar.js'
import {patientIdentity} from '../contracts/derive-identity.js'
import {
  chainTime,
  newAccount,
  randomAddress,
  randomIdentity,
  registrarRead,
  send,
} from '../contracts/testing/medrec-test-world.js'
import {errorCodes} from '../errors/error-codes.js'
import {listProposals} from './list-proposals.js'
import {providerIdentity} from './provider-identity.js'
import {recoverPatient, type RecoverPatientParameters} from './recover-patient.js'
import {
  enrolPatient,
  refusalSendingNothing,
  useConsortiumChain,
  type ConsortiumNetwork,
} from './testing/consortium-network.js'

const ctx = useConsortiumChain()
const sevenDays = 7 * 86_400

type World = {net: ConsortiumNetwork; patient: LocalAccount; id: Hex}

/** A consortium of three sealers; sealer-1 enrolled a patient, whose key is then lost. */
async function withPatient(): Promise<World> {
  const net = await ctx.network()
  const patient = await newAccount(net.chain)
  const enrolmentRef = randomIdentity()
  await enrolPatient(net, 'sealer-1', patient, enrolmentRef)
  return {net, patient, id: patientIdentity(providerIdentity('sealer-1'), enrolmentRef)}
}

const pendingRecovery = (w: World) => registrarRead(w.net.chain, w.net.registrar).pendingRecovery([w.id])

/** What recover-patient refuses `request` with, having sent nothing. */
const refused = (w: World, request: Omit<RecoverPatientParameters, 'dir'>) =>
  refusalSendingNothing(w.net, () => recoverPatient({dir: w.net.dir, ...request}))

describe('consortium recover-patient', () => {
  it("starts a time-locked recovery only at a majority, which the patient's current key can cancel", async () => {
    // Given an enrolled patient who lost its key, and the new key it holds now
    const w = await withPatient()
    const to = randomAddress()

    // When one of three sealing providers votes
    const first = await recoverPatient({dir: w.net.dir, patient: {id: w.id}, to, as: 'sealer-2'})
    // Then nothing has started; the output says how long it will take and who can cancel
    expect(first).toMatchObject({
      proposal: 'recover-patient',
      status: 'awaiting-votes',
      votes: 1,
      threshold: 2,
      votedBy: ['sealer-2'],
      patient: {id: w.id, account: w.patient.address},
      to,
      recovery: {delaySeconds: sevenDays, readyAt: null, cancellableBy: w.patient.address},
    })
    expect((await pendingRecovery(w)).newAccount).toBe('0x0000000000000000000000000000000000000000')
    expect((await listProposals({dir: w.net.dir})).proposals).toEqual([
      expect.objectContaining({action: 'recover-patient', subject: w.id, account: to, votes: 1, votedBy: ['sealer-2']}),
    ])

    // When a second member votes
    const second = await recoverPatient({dir: w.net.dir, patient: {id: w.id}, to, as: 'sealer-3'})
    // Then the recovery has started: ready no sooner than seven days after the deciding vote
    const pending = await pendingRecovery(w)
    expect(pending).toMatchObject({newAccount: to, byGovernance: true})
    expect(Number(pending.readyAt)).toBeGreaterThanOrEqual(Number(await chainTime(w.net.chain)) + sevenDays)
    expect(second).toMatchObject({
      status: 'executed',
      votes: 2,
      threshold: 2,
      recovery: {readyAt: new Date(Number(pending.readyAt) * 1000).toISOString(), cancellableBy: w.patient.address},
    })
    // And the patient's identity has not moved yet
    expect(getAddress((await registrarRead(w.net.chain, w.net.registrar).participant([w.id])).account)).toBe(
      w.patient.address,
    )

    // When the patient (who still has its key after all) cancels it
    const cancel = encodeFunctionData({abi: registrarAbi, functionName: 'cancelRecovery'})
    await send(w.net.chain, w.patient, w.net.registrar, cancel)
    // Then nothing is pending any more
    expect((await pendingRecovery(w)).newAccount).toBe('0x0000000000000000000000000000000000000000')
  })

  it('refuses a voter that is not a sealing member before anything is sent', async () => {
    const w = await withPatient()
    await w.net.newKey('outsider')
    const error = await refused(w, {patient: {id: w.id}, to: randomAddress(), as: 'outsider'})
    expect(error.code).toBe(errorCodes.NOT_CONSORTIUM_MEMBER)
  })

  it('refuses a patient who opted out, a steward, and a second recovery while one is pending', async () => {
    const w = await withPatient()
    const to = randomAddress()
    // A provider is not a patient
    const provider = {id: providerIdentity('sealer-1')}
    const steward = await refused(w, {patient: provider, to, as: 'sealer-1'})
    expect(steward.code).toBe(errorCodes.INVALID_ARGUMENT)
    // A local id without the provider that enrolled it names nobody
    const noProvider = await refused(w, {patient: {localId: 'MRN-1'}, to, as: 'sealer-1'})
    expect(noProvider.code).toBe(errorCodes.INVALID_ARGUMENT)

    // Given a recovery the majority started
    await recoverPatient({dir: w.net.dir, patient: {id: w.id}, to, as: 'sealer-1'})
    await recoverPatient({dir: w.net.dir, patient: {id: w.id}, to, as: 'sealer-2'})
    // Then another to a different key is refused before any vote
    const second = await refused(w, {patient: {id: w.id}, to: randomAddress(), as: 'sealer-1'})
    expect(second.code).toBe(errorCodes.RECOVERY_ALREADY_PENDING)
    expect(second.message).toContain('already pending')
    // And the same one again is reported as started, without a vote
    expect(await recoverPatient({dir: w.net.dir, patient: {id: w.id}, to, as: 'sealer-3'})).toMatchObject({
      status: 'executed',
      votes: 2,
      votedBy: ['sealer-1', 'sealer-2'],
      transaction: null,
    })

    // When the patient refuses recoveries by the consortium (which also cancels this one)
    const optOut = encodeFunctionData({abi: registrarAbi, functionName: 'setGovernanceRecovery', args: [false]})
    await send(w.net.chain, w.patient, w.net.registrar, optOut)
    const optedOut = await refused(w, {patient: {id: w.id}, to, as: 'sealer-1'})
    expect(optedOut.code).toBe(errorCodes.INVALID_ARGUMENT)
    expect(optedOut.message).toContain('refused recovery by the consortium')
  })
})

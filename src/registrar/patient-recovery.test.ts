import {zeroHash, type Address, type Hex} from 'viem'
import {describe, expect, it} from 'vitest'

import {registrarAbi} from '../contracts/abi/registrar.js'
import {advanceChainTime, chainTime} from '../contracts/testing/medrec-test-world.js'
import {errorCodes} from '../errors/error-codes.js'
import {approveRecovery} from './approve-recovery.js'
import {cancelRecovery} from './cancel-recovery.js'
import {completeRecovery} from './complete-recovery.js'
import {recoveryLimits} from './recovery-input.js'
import {setUpRecovery} from './set-up-recovery.js'
import {showRecovery} from './show-recovery.js'
import {
  enrolTestPatient,
  registrarTestNetwork,
  useRegistrarTestChain,
  type RegistrarTestNetwork,
} from './testing/registrar-test-network.js'

const test = useRegistrarTestChain()
const day = 86_400

/** alice is a patient with guardians bob, carol and dave (dave given by address), 2 of 3, a two-day delay. */
async function aliceWithGuardians(options: {unfunded?: string[]} = {}): Promise<RegistrarTestNetwork & {id: Hex}> {
  const names = ['alice', 'bob', 'carol', 'dave', 'alice-new', 'relay', 'mallory']
  const net = await registrarTestNetwork(test, names, options)
  const id = await enrolTestPatient(net.world, net.keys.alice!)
  await setUpRecovery({
    dir: net.dir,
    as: 'alice',
    guardians: ['bob', 'carol', net.keys.dave!.address],
    threshold: 2,
    delaySeconds: 2 * day,
  })
  return {...net, id}
}

async function identityOf(net: RegistrarTestNetwork, account: Address): Promise<Hex> {
  const registrar = {address: net.world.registrar, abi: registrarAbi} as const
  return net.world.chain.publicClient.readContract({...registrar, functionName: 'identityOf', args: [account]})
}

async function transactionCount(net: RegistrarTestNetwork, name: string): Promise<number> {
  return net.world.chain.publicClient.getTransactionCount({address: net.keys[name]!.address})
}

describe('patient recovery services', () => {
  it("keeps the limits it checks before sending equal to the deployed Registrar's", async () => {
    const net = await registrarTestNetwork(test, [])
    const read = (functionName: 'MAX_GUARDIANS' | 'MIN_RECOVERY_DELAY' | 'MAX_RECOVERY_DELAY') =>
      net.world.chain.publicClient.readContract({address: net.world.registrar, abi: registrarAbi, functionName})
    expect({
      maxGuardians: Number(await read('MAX_GUARDIANS')),
      minDelaySeconds: Number(await read('MIN_RECOVERY_DELAY')),
      maxDelaySeconds: Number(await read('MAX_RECOVERY_DELAY')),
    }).toEqual(recoveryLimits)
  })

  it('sets up guardians, threshold, delay and the consortium choice, and shows them by key or identity', async () => {
    // Given a patient with no recovery set up
    const net = await registrarTestNetwork(test, ['alice', 'bob', 'carol', 'dave'])
    const id = await enrolTestPatient(net.world, net.keys.alice!)
    const before = await showRecovery({dir: net.dir, patient: 'alice'})
    expect(before.setup).toEqual({guardians: [], threshold: 0, delaySeconds: 0, consortiumRecovery: 'allowed'})
    // When it names three guardians (two by key name, one by address), 2 of 3, a two-day delay,
    // and refuses the consortium
    const result = await setUpRecovery({
      dir: net.dir,
      as: 'alice',
      guardians: ['bob', 'carol', net.keys.dave!.address],
      threshold: 2,
      delaySeconds: 2 * day,
      consortium: 'refuse',
    })
    // Then the chain holds exactly that, and show reports it whichever way the patient is named
    const guardians = [net.keys.bob!.address, net.keys.carol!.address, net.keys.dave!.address]
    const expected = {guardians, threshold: 2, delaySeconds: 2 * day, consortiumRecovery: 'refused'}
    const alice = net.keys.alice!.address
    expect(result).toMatchObject({patient: id, account: alice, setup: expected, cancelledRecovery: null})
    expect(result.transactions).toHaveLength(2)
    for (const patient of ['alice', id, alice]) {
      const shown = await showRecovery({dir: net.dir, patient})
      expect(shown).toMatchObject({patient: id, account: alice, setup: expected, pending: null, approvals: []})
    }
    // And the consortium choice alone can change, leaving the guardians as they are
    const allowed = await setUpRecovery({dir: net.dir, as: 'alice', consortium: 'allow'})
    expect(allowed.setup).toEqual({...expected, consortiumRecovery: 'allowed'})
    expect(allowed.transactions).toHaveLength(1)
  })

  it('refuses a set-up naming the patient itself, or by a non-patient key, before any transaction', async () => {
    const net = await registrarTestNetwork(test, ['alice', 'bob', 'carol'])
    await enrolTestPatient(net.world, net.keys.alice!)
    const sentBefore = await transactionCount(net, 'alice')
    await expect(
      setUpRecovery({dir: net.dir, as: 'alice', guardians: ['bob', 'alice'], threshold: 1}),
    ).rejects.toMatchObject({
      code: errorCodes.INVALID_ARGUMENT,
      message: expect.stringContaining("patient's own account"),
    })
    await expect(
      setUpRecovery({dir: net.dir, as: 'alice', guardians: ['bob', net.keys.bob!.address.toLowerCase()], threshold: 1}),
    ).rejects.toMatchObject({code: errorCodes.INVALID_ARGUMENT, message: expect.stringContaining('named twice')})
    await expect(setUpRecovery({dir: net.dir, as: 'bob', guardians: ['carol'], threshold: 1})).rejects.toMatchObject({
      code: errorCodes.INVALID_ARGUMENT,
      message: expect.stringContaining('not a patient'),
    })
    expect(await transactionCount(net, 'alice')).toBe(sentBefore)
    expect(await transactionCount(net, 'bob')).toBe(0)
  })

  it('starts the recovery at the threshold, and shows who approved and when it may complete', async () => {
    // Given alice with guardians bob, carol, dave (2 of 3, two days)
    const net = await aliceWithGuardians()
    // When bob approves moving her to alice-new, Then nothing starts yet, and show counts his approval
    const first = await approveRecovery({dir: net.dir, patient: net.id, newAccount: 'alice-new', as: 'bob'})
    expect(first).toMatchObject({approvals: 1, threshold: 2, started: false, readyAt: null, replaced: null})
    const newAccount = net.keys['alice-new']!.address
    const halfway = await showRecovery({dir: net.dir, patient: 'alice'})
    expect(halfway.pending).toBeNull()
    expect(halfway.approvals).toEqual([{newAccount, approvedBy: [net.keys.bob!.address], approvals: 1}])
    // When carol approves the same account (named by address this time), Then the recovery starts with the delay
    const second = await approveRecovery({dir: net.dir, patient: 'alice', newAccount, as: 'carol'})
    const startedAt = await chainTime(net.world.chain)
    const readyAt = new Date(Number(startedAt + BigInt(2 * day)) * 1000).toISOString()
    const carol = net.keys.carol!.address
    expect(second).toMatchObject({approvals: 2, threshold: 2, started: true, readyAt, guardian: carol})
    // And show reports the pending recovery: its account, who approved, when, and that the guardians started it
    const shown = await showRecovery({dir: net.dir, patient: net.id})
    expect(shown.pending).toEqual({
      newAccount,
      readyAt,
      ready: false,
      byGovernance: false,
      approvedBy: [net.keys.bob!.address, net.keys.carol!.address],
    })
    // And the identity has not moved
    expect(await identityOf(net, net.keys.alice!.address)).toBe(net.id)
  })

  it('refuses completion before the delay with RECOVERY_NOT_READY, then lets the new key complete it', async () => {
    // Given a recovery the guardians started
    const net = await aliceWithGuardians()
    for (const guardian of ['bob', 'dave']) {
      await approveRecovery({dir: net.dir, patient: net.id, newAccount: 'alice-new', as: guardian})
    }
    // When the new key completes at once, or a minute before the delay is over,
    // Then it is refused with a code that says so
    await expect(completeRecovery({dir: net.dir, patient: net.id, as: 'alice-new'})).rejects.toMatchObject({
      code: errorCodes.RECOVERY_NOT_READY,
      hint: expect.stringMatching(/can complete from \d{4}-\d\d-\d\dT/),
    })
    await advanceChainTime(net.world.chain, BigInt(2 * day - 60))
    await expect(completeRecovery({dir: net.dir, patient: 'alice', as: 'alice-new'})).rejects.toMatchObject({
      code: errorCodes.RECOVERY_NOT_READY,
    })
    // When the delay is over, Then the new key completes it with its own transaction
    await advanceChainTime(net.world.chain, 60n)
    expect((await showRecovery({dir: net.dir, patient: net.id})).pending?.ready).toBe(true)
    const done = await completeRecovery({dir: net.dir, patient: 'alice', as: 'alice-new'})
    expect(done).toMatchObject({
      patient: net.id,
      account: net.keys['alice-new']!.address,
      previousAccount: net.keys.alice!.address,
      relayedBy: null,
    })
    // And the identity answers to the new key only; nothing is pending and the old approvals lapsed
    expect(await identityOf(net, net.keys['alice-new']!.address)).toBe(net.id)
    expect(await identityOf(net, net.keys.alice!.address)).toBe(zeroHash)
    const after = await showRecovery({dir: net.dir, patient: 'alice-new'})
    expect(after).toMatchObject({account: net.keys['alice-new']!.address, pending: null, approvals: []})
    await expect(completeRecovery({dir: net.dir, patient: net.id, as: 'alice-new'})).rejects.toMatchObject({
      code: errorCodes.RECOVERY_NOT_PENDING,
    })
  })

  it("lets the patient's current key cancel a pending recovery, which then never completes", async () => {
    // Given a recovery the guardians started
    const net = await aliceWithGuardians()
    for (const guardian of ['bob', 'carol']) {
      await approveRecovery({dir: net.dir, patient: net.id, newAccount: 'alice-new', as: guardian})
    }
    // When alice's current key cancels it
    const cancelled = await cancelRecovery({dir: net.dir, as: 'alice'})
    expect(cancelled).toMatchObject({patient: net.id, cancelled: net.keys['alice-new']!.address})
    // Then nothing is pending, the approvals lapsed, and after the delay the new key is refused
    expect(await showRecovery({dir: net.dir, patient: 'alice'})).toMatchObject({pending: null, approvals: []})
    await advanceChainTime(net.world.chain, BigInt(3 * day))
    await expect(completeRecovery({dir: net.dir, patient: net.id, as: 'alice-new'})).rejects.toMatchObject({
      code: errorCodes.RECOVERY_NOT_PENDING,
    })
    expect(await identityOf(net, net.keys.alice!.address)).toBe(net.id)
    // And a guardian cannot cancel: only the patient's current key can
    await expect(cancelRecovery({dir: net.dir, as: 'bob'})).rejects.toMatchObject({code: errorCodes.INVALID_ARGUMENT})
  })

  it("completes by the new key's signed PatientRecovery, relayed; the new key holds no ether", async () => {
    // Given a recovery to a key without ether, past its delay
    const net = await aliceWithGuardians({unfunded: ['alice-new']})
    for (const guardian of ['carol', 'dave']) {
      await approveRecovery({dir: net.dir, patient: net.id, newAccount: 'alice-new', as: guardian})
    }
    await advanceChainTime(net.world.chain, BigInt(2 * day))
    // When the new key signs and relay sends it
    const done = await completeRecovery({dir: net.dir, patient: net.id, as: 'alice-new', relayer: 'relay'})
    // Then the identity moved to the new key, which sent nothing and paid nothing
    expect(done).toMatchObject({account: net.keys['alice-new']!.address, relayedBy: net.keys.relay!.address})
    expect(await identityOf(net, net.keys['alice-new']!.address)).toBe(net.id)
    const {publicClient} = net.world.chain
    expect(await publicClient.getBalance({address: net.keys['alice-new']!.address})).toBe(0n)
    expect(await transactionCount(net, 'alice-new')).toBe(0)
    // And the signature's nonce is spent
    const nonce = await publicClient.readContract({
      address: net.world.registrar,
      abi: registrarAbi,
      functionName: 'nonces',
      args: [net.keys['alice-new']!.address],
    })
    expect(nonce).toBe(1n)
  })

  it("refuses a non-guardian's approval with RECOVERY_NOT_GUARDIAN and counts nothing", async () => {
    const net = await aliceWithGuardians()
    await expect(
      approveRecovery({dir: net.dir, patient: net.id, newAccount: 'alice-new', as: 'mallory'}),
    ).rejects.toMatchObject({code: errorCodes.RECOVERY_NOT_GUARDIAN, hint: expect.stringContaining('guardian')})
    expect(await transactionCount(net, 'mallory')).toBe(0)
    expect((await showRecovery({dir: net.dir, patient: net.id})).approvals).toEqual([])
    // And a guardian approves only once
    await approveRecovery({dir: net.dir, patient: net.id, newAccount: 'alice-new', as: 'bob'})
    await expect(
      approveRecovery({dir: net.dir, patient: net.id, newAccount: 'alice-new', as: 'bob'}),
    ).rejects.toMatchObject({code: errorCodes.RECOVERY_ALREADY_APPROVED})
  })

  it("refuses completion by a key that is not the recovery's new account with RECOVERY_WRONG_ACCOUNT", async () => {
    const net = await aliceWithGuardians()
    for (const guardian of ['bob', 'carol']) {
      await approveRecovery({dir: net.dir, patient: net.id, newAccount: 'alice-new', as: guardian})
    }
    await advanceChainTime(net.world.chain, BigInt(2 * day))
    await expect(completeRecovery({dir: net.dir, patient: net.id, as: 'mallory'})).rejects.toMatchObject({
      code: errorCodes.RECOVERY_WRONG_ACCOUNT,
    })
    await expect(
      completeRecovery({dir: net.dir, patient: net.id, as: 'mallory', relayer: 'relay'}),
    ).rejects.toMatchObject({code: errorCodes.RECOVERY_WRONG_ACCOUNT})
    expect(await identityOf(net, net.keys.alice!.address)).toBe(net.id)
  })

  it('shows a recovery the consortium started, with its seven-day delay and no guardian approvals', async () => {
    // Given alice allows consortium recovery (the default) and governance starts one
    const net = await aliceWithGuardians()
    const newAccount = net.keys['alice-new']!.address
    await net.world.registrarSend(net.world.governance, 'startGovernanceRecovery', [net.id, newAccount])
    const startedAt = await chainTime(net.world.chain)
    // Then show says governance started it, and when it may complete
    const shown = await showRecovery({dir: net.dir, patient: 'alice'})
    expect(shown.pending).toEqual({
      newAccount,
      readyAt: new Date(Number(startedAt + BigInt(7 * day)) * 1000).toISOString(),
      ready: false,
      byGovernance: true,
      approvedBy: [],
    })
    // When alice refuses consortium recovery, Then that recovery is cancelled
    const refused = await setUpRecovery({dir: net.dir, as: 'alice', consortium: 'refuse'})
    expect(refused).toMatchObject({cancelledRecovery: newAccount, setup: {consortiumRecovery: 'refused'}})
    expect((await showRecovery({dir: net.dir, patient: 'alice'})).pending).toBeNull()
  })
})

import {getAddress, zeroAddress, type Address, type Hex} from 'viem'

import {openRegistrar, type RegistrarContext} from './open-registrar.js'
import {isoFromChainSeconds} from './participant-kinds.js'
import {checkPatientReference, resolveRecoveryPatient} from './recovery-input.js'

/** A patient's recovery set-up as the Registrar holds it. */
export type RecoverySetup = {
  /** Who may approve moving the patient to a new account (empty: no guardian recovery). */
  guardians: Address[]
  /** How many guardians must approve the same new account (0 without guardians). */
  threshold: number
  /** Seconds from the start of a guardian recovery to its earliest completion (0 without guardians). */
  delaySeconds: number
  /** Whether the consortium (governance) may start a recovery, completing after at least 7 days. */
  consortiumRecovery: 'allowed' | 'refused'
}

/** Approvals counted now toward moving the patient to one new account. */
export type RecoveryApprovals = {newAccount: Address; approvedBy: Address[]; approvals: number}

/** A recovery that started and may complete from `readyAt` unless the patient cancels it. */
export type PendingRecovery = {
  newAccount: Address
  /** Earliest completion (chain time). */
  readyAt: string | null
  /** True once the chain's latest block is at or past `readyAt`. */
  ready: boolean
  /** True when the consortium started it rather than the guardians. */
  byGovernance: boolean
  /** The guardians whose approvals started it (empty when the consortium did). */
  approvedBy: Address[]
}

export type ShowRecoveryResult = {
  patient: Hex
  account: Address
  setup: RecoverySetup
  pending: PendingRecovery | null
  /** Approvals that count now, per new account, including ones below the threshold. */
  approvals: RecoveryApprovals[]
  /** The block every value was read at, and its time. */
  block: number
  chainTime: string | null
}

/** The patient's set-up at `blockNumber`. */
export async function readRecoverySetup(
  context: RegistrarContext,
  id: Hex,
  blockNumber?: bigint,
): Promise<RecoverySetup> {
  const [guardians, threshold, delay, governanceAllowed] = await context.contract.read.recoverySetup([id], {
    blockNumber,
  })
  return {
    guardians: guardians.map((g) => getAddress(g)),
    threshold,
    delaySeconds: delay,
    consortiumRecovery: governanceAllowed ? 'allowed' : 'refused',
  }
}

/**
 * The approvals that count now: every RecoveryApproved event of the patient, kept only
 * where the Registrar still records the approval under the current recovery key (a cancel,
 * new guardians, a rotation or a completion makes earlier ones lapse).
 */
async function currentApprovals(context: RegistrarContext, id: Hex, blockNumber: bigint): Promise<RecoveryApprovals[]> {
  const events = await context.contract.getEvents.RecoveryApproved({id}, {fromBlock: 0n, toBlock: blockNumber})
  const byAccount = new Map<Address, Set<Address>>()
  for (const event of events) {
    const {newAccount, guardian} = event.args
    if (!newAccount || !guardian) continue
    const account = getAddress(newAccount)
    byAccount.set(account, (byAccount.get(account) ?? new Set()).add(getAddress(guardian)))
  }
  const approvals: RecoveryApprovals[] = []
  for (const [newAccount, guardians] of byAccount) {
    const key = await context.contract.read.recoveryKey([id, newAccount], {blockNumber})
    const count = await context.contract.read.recoveryApprovals([key], {blockNumber})
    if (count === 0n) continue
    const approvedBy: Address[] = []
    for (const guardian of guardians) {
      if (await context.contract.read.hasApprovedRecovery([key, guardian], {blockNumber})) approvedBy.push(guardian)
    }
    approvals.push({newAccount, approvedBy, approvals: Number(count)})
  }
  return approvals
}

/**
 * A patient's recovery set-up, its pending recovery (who approved it, when it may
 * complete, whether the consortium started it) and the approvals gathered so far. The
 * patient is named by identity or current account; every value is read at one block.
 */
export async function showRecovery(options: {dir: string; patient: string}): Promise<ShowRecoveryResult> {
  checkPatientReference(options.patient)
  const context = await openRegistrar(options.dir)
  const patient = await resolveRecoveryPatient(context, options.patient)
  const block = await context.publicClient.getBlock()
  const blockNumber = block.number
  const [setup, pending, approvals] = await Promise.all([
    readRecoverySetup(context, patient.id, blockNumber),
    context.contract.read.pendingRecovery([patient.id], {blockNumber}),
    currentApprovals(context, patient.id, blockNumber),
  ])
  const account = getAddress(await context.contract.read.accountOf([patient.id], {blockNumber}))
  const pendingAccount = getAddress(pending.newAccount)
  return {
    patient: patient.id,
    account,
    setup,
    pending:
      pendingAccount === zeroAddress
        ? null
        : {
            newAccount: pendingAccount,
            readyAt: isoFromChainSeconds(pending.readyAt),
            ready: pending.readyAt <= block.timestamp,
            byGovernance: pending.byGovernance,
            approvedBy: pending.byGovernance
              ? []
              : (approvals.find((a) => a.newAccount === pendingAccount)?.approvedBy ?? []),
          },
    approvals,
    block: Number(blockNumber),
    chainTime: isoFromChainSeconds(block.timestamp),
  }
}

import {getAddress, parseEventLogs, type Address, type Hash, type Hex} from 'viem'

import {checkAccountReference} from '../accounts/account-reference.js'
import {registrarAbi} from '../contracts/abi/registrar.js'
import {openRegistrar, signerFor} from './open-registrar.js'
import {isoFromChainSeconds} from './participant-kinds.js'
import {checkPatientReference, resolveRecoveryAccount, resolveRecoveryPatient} from './recovery-input.js'
import {sendRegistrarTransaction} from './send-registrar-transaction.js'

export type ApproveRecoveryOptions = {
  dir: string
  /** The patient: its 32-byte identity, or its current account (address or key name). */
  patient: string
  /** The account the patient moves to: a key name here or a 0x address. */
  newAccount: string
  /** The guardian's key: a key name in this directory. */
  as: string
}

export type ApproveRecoveryResult = {
  patient: Hex
  newAccount: Address
  guardian: Address
  /** Approvals counted toward this new account, this one included. */
  approvals: number
  threshold: number
  /** True when this approval reached the threshold and started the recovery. */
  started: boolean
  /** When a started recovery may complete (chain time); null if it did not start. */
  readyAt: string | null
  /** A pending recovery this one replaced (one the consortium started, or one that can no longer complete). */
  replaced: Address | null
  transactions: Hash[]
}

/**
 * A guardian approves moving patient `patient` to `newAccount`. The approval that reaches
 * the patient's threshold starts the recovery; it may complete after the patient's delay,
 * unless the patient's current key cancels it first.
 */
export async function approveRecovery(options: ApproveRecoveryOptions): Promise<ApproveRecoveryResult> {
  checkPatientReference(options.patient)
  checkAccountReference(options.newAccount, 'NEW_ACCOUNT')
  const context = await openRegistrar(options.dir)
  const patient = await resolveRecoveryPatient(context, options.patient)
  const newAccount = await resolveRecoveryAccount(context, options.newAccount, 'NEW_ACCOUNT')
  const guardian = await signerFor(context, options.as)
  const {hash, receipt} = await sendRegistrarTransaction(
    context,
    guardian,
    'approveRecovery',
    [patient.id, newAccount],
    `approve moving patient ${patient.id} to ${newAccount}`,
  )
  const events = parseEventLogs({abi: registrarAbi, logs: receipt.logs}).filter(
    (log) => getAddress(log.address) === context.registrar,
  )
  let approvals = 0
  let threshold = 0
  let readyAt: string | null = null
  let started = false
  let replaced: Address | null = null
  for (const event of events) {
    if (event.eventName === 'RecoveryApproved') {
      approvals = Number(event.args.approvals)
      threshold = Number(event.args.threshold)
    } else if (event.eventName === 'RecoveryStarted') {
      started = true
      readyAt = isoFromChainSeconds(event.args.readyAt)
    } else if (event.eventName === 'RecoveryCancelled') {
      replaced = getAddress(event.args.newAccount)
    }
  }
  return {
    patient: patient.id,
    newAccount,
    guardian: guardian.account.address,
    approvals,
    threshold,
    started,
    readyAt,
    replaced,
    transactions: [hash],
  }
}

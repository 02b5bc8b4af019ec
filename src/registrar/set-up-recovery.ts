import {getAddress, parseEventLogs, zeroAddress, type Address, type Hash, type Hex, type TransactionReceipt} from 'viem'

import {checkAccountReference} from '../accounts/account-reference.js'
import {registrarAbi} from '../contracts/abi/registrar.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {openRegistrar, type RegistrarContext} from './open-registrar.js'
import {
  checkRecoveryDelay,
  defaultRecoveryDelaySeconds,
  patientSigner,
  recoveryLimits,
  resolveRecoveryAccount,
} from './recovery-input.js'
import {sendRegistrarTransaction} from './send-registrar-transaction.js'
import {readRecoverySetup, type RecoverySetup} from './show-recovery.js'

export type SetUpRecoveryOptions = {
  dir: string
  /** The patient's current key: a key name in this directory. */
  as: string
  /** The whole guardian list (key names here or 0x addresses); omit to keep the guardians as they are. */
  guardians?: string[]
  /** How many guardians must approve the same new account; needed with `guardians`. */
  threshold?: number
  /** Seconds from the guardians' approval to the earliest completion; 7 days when not given. */
  delaySeconds?: number
  /** Remove every guardian: no guardian recovery until new ones are named. */
  removeGuardians?: boolean
  /** Allow or refuse recoveries started by the consortium; omit to keep the choice as it is. */
  consortium?: 'allow' | 'refuse'
}

export type SetUpRecoveryResult = {
  patient: Hex
  account: Address
  /** The set-up after this change. */
  setup: RecoverySetup
  /** A pending recovery this change cancelled (new guardians, or refusing the consortium's). */
  cancelledRecovery: Address | null
  transactions: Hash[]
}

type GuardianPlan = {guardians: string[]; threshold: number; delaySeconds: number}

/** Checks the options alone (no file, no chain) and says what to change. */
function planSetUp(options: SetUpRecoveryOptions): {guardians: GuardianPlan | 'remove' | undefined} {
  const {guardians, threshold, delaySeconds} = options
  const namesGuardians = guardians !== undefined || threshold !== undefined || delaySeconds !== undefined
  if (options.removeGuardians && namesGuardians) {
    const message = '--remove-guardians cannot go with --guardian, --threshold or --delay.'
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, message)
  }
  if (!options.removeGuardians && !namesGuardians && options.consortium === undefined) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, 'Nothing to set up.', {
      hint:
        'Name guardians (--guardian A --guardian B --threshold 2), --remove-guardians, or ' +
        '--consortium allow|refuse.',
    })
  }
  if (options.removeGuardians) return {guardians: 'remove'}
  if (!namesGuardians) return {guardians: undefined}
  if (guardians === undefined || guardians.length === 0) {
    const message = '--threshold and --delay go with the whole guardian list (--guardian, repeated).'
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, message, {
      hint: 'Every set-up names all guardians again; to remove them all, use --remove-guardians.',
    })
  }
  if (guardians.length > recoveryLimits.maxGuardians) {
    const message = `${guardians.length} guardians named; at most ${recoveryLimits.maxGuardians} are allowed.`
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, message, {
      hint: 'Choose the people most likely to be reachable and hard to deceive together.',
    })
  }
  if (threshold === undefined) {
    const message = `--threshold is needed: how many of the ${guardians.length} guardians must agree.`
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, message, {
      hint: 'A majority is usual, e.g. --threshold 2 of 3.',
    })
  }
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > guardians.length) {
    const message = `--threshold ${threshold} is not from 1 to the ${guardians.length} guardians named.`
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, message, {
      hint: 'The threshold counts guardians who must approve the same new account.',
    })
  }
  const delay = delaySeconds ?? defaultRecoveryDelaySeconds
  checkRecoveryDelay(delay)
  const seen = new Set<string>()
  for (const guardian of guardians) {
    checkAccountReference(guardian, '--guardian')
    if (seen.has(guardian.toLowerCase())) {
      throw new MedrecError(errorCodes.INVALID_ARGUMENT, `--guardian ${guardian} is named twice.`)
    }
    seen.add(guardian.toLowerCase())
  }
  return {guardians: {guardians, threshold, delaySeconds: delay}}
}

/** The new accounts of pending recoveries that `receipt` cancelled. */
function cancelledIn(context: RegistrarContext, receipt: TransactionReceipt): Address[] {
  return parseEventLogs({abi: registrarAbi, eventName: 'RecoveryCancelled', logs: receipt.logs})
    .filter((log) => getAddress(log.address) === context.registrar && getAddress(log.args.newAccount) !== zeroAddress)
    .map((log) => getAddress(log.args.newAccount))
}

/**
 * The patient, with its current key, names its guardians (the whole list), how many must
 * agree and the delay before their recovery may complete, and allows or refuses recovery by
 * the consortium. New guardians void every approval and cancel a pending recovery; refusing
 * the consortium cancels one it started. Every input is checked before any transaction.
 */
export async function setUpRecovery(options: SetUpRecoveryOptions): Promise<SetUpRecoveryResult> {
  const plan = planSetUp(options)
  const context = await openRegistrar(options.dir)
  const {signer, patient} = await patientSigner(context, options.as)

  let guardianCall: {guardians: Address[]; threshold: number; delaySeconds: number} | undefined
  if (plan.guardians === 'remove') guardianCall = {guardians: [], threshold: 0, delaySeconds: 0}
  if (plan.guardians !== undefined && plan.guardians !== 'remove') {
    const addresses: Address[] = []
    for (const reference of plan.guardians.guardians) {
      const address = await resolveRecoveryAccount(context, reference, '--guardian')
      if (address === patient.account) {
        throw new MedrecError(errorCodes.INVALID_ARGUMENT, `--guardian ${reference} is the patient's own account.`, {
          hint: "A guardian stands in when the patient's key is lost, so it must be someone else's.",
        })
      }
      if (addresses.includes(address)) {
        throw new MedrecError(errorCodes.INVALID_ARGUMENT, `--guardian ${reference} (${address}) is named twice.`)
      }
      addresses.push(address)
    }
    const {threshold, delaySeconds} = plan.guardians
    guardianCall = {guardians: addresses, threshold, delaySeconds}
  }

  const transactions: Hash[] = []
  const cancelled: Address[] = []
  if (guardianCall) {
    const {hash, receipt} = await sendRegistrarTransaction(
      context,
      signer,
      'setRecoveryGuardians',
      [guardianCall.guardians, guardianCall.threshold, guardianCall.delaySeconds],
      `set the recovery guardians of patient ${patient.id}`,
    )
    transactions.push(hash)
    cancelled.push(...cancelledIn(context, receipt))
  }
  if (options.consortium !== undefined) {
    const {hash, receipt} = await sendRegistrarTransaction(
      context,
      signer,
      'setGovernanceRecovery',
      [options.consortium === 'allow'],
      `${options.consortium} recovery by the consortium for patient ${patient.id}`,
    )
    transactions.push(hash)
    cancelled.push(...cancelledIn(context, receipt))
  }
  const setup = await readRecoverySetup(context, patient.id)
  return {patient: patient.id, account: patient.account, setup, cancelledRecovery: cancelled[0] ?? null, transactions}
}

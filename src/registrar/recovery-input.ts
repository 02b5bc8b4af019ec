import {getAddress, zeroHash, type Address, type Hex} from 'viem'

import {checkAccountReference} from '../accounts/account-reference.js'
import {resolveAccount} from '../accounts/accounts.js'
import type {NetworkWalletClient} from '../workspace/network-clients.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {signerFor, type RegistrarContext} from './open-registrar.js'
import {kindName, kindNumber} from './participant-kinds.js'

const day = 86_400

/**
 * The Registrar's bounds on a guardian set-up (MAX_GUARDIANS, MIN_RECOVERY_DELAY,
 * MAX_RECOVERY_DELAY), checked here so bad input is refused before any transaction.
 */
export const recoveryLimits = {maxGuardians: 8, minDelaySeconds: day, maxDelaySeconds: 90 * day} as const

/** The delay a guardian set-up gets when none is given: a week to notice and veto. */
export const defaultRecoveryDelaySeconds = 7 * day

const units = [
  ['d', day],
  ['h', 3600],
  ['m', 60],
  ['s', 1],
] as const

/** Seconds as the largest whole unit: 604800 → "7d", 5400 → "90m". */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of units) if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`
  return `${seconds}s`
}

/** Refuses a recovery delay the Registrar would refuse (InvalidRecoveryDelay). */
export function checkRecoveryDelay(seconds: number, flag = '--delay'): void {
  const {minDelaySeconds, maxDelaySeconds} = recoveryLimits
  if (!Number.isInteger(seconds) || seconds < minDelaySeconds || seconds > maxDelaySeconds) {
    const given = Number.isInteger(seconds) && seconds >= 0 ? formatDuration(seconds) : String(seconds)
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${flag} ${given} is outside 1 day to 90 days.`, {
      hint: "The delay is the patient's time to notice a recovery and veto it: at least a day, at most 90 days.",
    })
  }
}

/** Checks the form of a patient reference before anything is read: a 32-byte identity or an account. */
export function checkPatientReference(reference: string, flag = 'PATIENT'): void {
  if (/^0x[0-9a-fA-F]{64}$/.test(reference)) return
  if (/^0x/i.test(reference) && !/^0x[0-9a-fA-F]{40}$/.test(reference)) {
    const forms = 'a 32-byte identity (0x and 64 hex digits) nor an address (0x and 40)'
    const message = `${flag} "${reference}" is neither ${forms}.`
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, message, {
      hint: "Give the patient's identity (see `medrec registrar show`), its current address, or its key name here.",
    })
  }
  checkAccountReference(reference, flag)
}

/** An account reference checked (checkAccountReference) and resolved to its address. */
export async function resolveRecoveryAccount(
  context: RegistrarContext,
  reference: string,
  flag: string,
): Promise<Address> {
  checkAccountReference(reference, flag)
  return resolveAccount(context.network.paths, reference, flag)
}

/** A patient as the chain knows it. */
export type RecoveryPatient = {id: Hex; account: Address}

/**
 * A patient named by its 32-byte identity, or by its current account (a 0x address or a
 * key name in this directory). Anything that is not a registered patient is refused.
 */
export async function resolveRecoveryPatient(
  context: RegistrarContext,
  reference: string,
  flag = 'PATIENT',
): Promise<RecoveryPatient> {
  checkPatientReference(reference, flag)
  let id: Hex
  if (/^0x[0-9a-fA-F]{64}$/.test(reference)) {
    id = reference.toLowerCase() as Hex
  } else {
    const account = await resolveRecoveryAccount(context, reference, flag)
    id = await context.contract.read.identityOf([account])
    if (id === zeroHash) {
      const message = `${flag} ${reference} (${account}) is not the current account of any participant.`
      throw new MedrecError(errorCodes.INVALID_ARGUMENT, message, {
        hint: 'A patient whose key was lost is named by its 32-byte identity (see `medrec registrar show`).',
      })
    }
  }
  const participant = await context.contract.read.participant([id])
  if (participant.kind !== kindNumber('patient')) {
    const what = participant.kind === 0 ? 'no participant' : `a ${kindName(participant.kind)}, not a patient`
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${flag} ${reference} is ${what}.`, {
      hint: 'Recovery is for patients; other participants are recovered by the consortium.',
    })
  }
  return {id, account: getAddress(participant.account)}
}

/** The wallet of `keyName`, which must be a patient's current key (who sets up and vetoes). */
export async function patientSigner(
  context: RegistrarContext,
  keyName: string,
): Promise<{signer: NetworkWalletClient; patient: RecoveryPatient}> {
  const signer = await signerFor(context, keyName)
  const account = signer.account.address
  const id = await context.contract.read.identityOf([account])
  const participant = id === zeroHash ? undefined : await context.contract.read.participant([id])
  if (participant?.kind !== kindNumber('patient')) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `--as ${keyName} (${account}) is not a patient's current key.`, {
      hint: 'Only the patient, with its current key, sets up or cancels its recovery.',
    })
  }
  return {signer, patient: {id, account}}
}

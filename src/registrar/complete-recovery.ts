import {getAddress, parseEventLogs, type Address, type Hash, type Hex} from 'viem'

import {registrarAbi} from '../contracts/abi/registrar.js'
import {medrecConsentDomain, medrecConsentTypes} from '../contracts/consent-typed-data.js'
import type {SentContractTransaction} from '../contracts/send-contract-transaction.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {openRegistrar, signerFor} from './open-registrar.js'
import {checkPatientReference, resolveRecoveryPatient} from './recovery-input.js'
import {sendRegistrarTransaction} from './send-registrar-transaction.js'

export type CompleteRecoveryOptions = {
  dir: string
  /** The patient: its 32-byte identity, or its current (old) account. */
  patient: string
  /** The recovery's new key: a key name in this directory. */
  as: string
  /**
   * Another key of this directory that sends the transaction: the new key then only signs
   * an EIP-712 PatientRecovery and needs no ether.
   */
  relayer?: string
}

export type CompleteRecoveryResult = {
  patient: Hex
  /** Where the identity lives now: the new key's account. */
  account: Address
  previousAccount: Address
  /** Who sent the new key's signed completion; null when the new key sent it itself. */
  relayedBy: Address | null
  transactions: Hash[]
}

/** A signed completion is valid this long, long enough to relay it, short enough to lapse if not. */
const recoveryConsentLifetimeSeconds = 600n

/**
 * The new key completes the pending recovery of `patient` once its delay is over, proving
 * it holds its key: by its own transaction, or (with `relayer`) by an EIP-712 PatientRecovery
 * signature that the relayer sends. The identity, and everything that references it,
 * then answers to the new key; the old one loses every power.
 */
export async function completeRecovery(options: CompleteRecoveryOptions): Promise<CompleteRecoveryResult> {
  checkPatientReference(options.patient)
  const context = await openRegistrar(options.dir)
  const patient = await resolveRecoveryPatient(context, options.patient)
  const newKey = await signerFor(context, options.as)
  const newAccount = newKey.account.address
  const action = `complete the recovery of patient ${patient.id} to ${newAccount}`
  let sent: SentContractTransaction
  let relayedBy: Address | null = null
  if (options.relayer === undefined) {
    sent = await sendRegistrarTransaction(context, newKey, 'completeRecovery', [patient.id], action)
  } else {
    const relayer = await signerFor(context, options.relayer)
    relayedBy = relayer.account.address
    if (relayedBy === newAccount) {
      throw new MedrecError(errorCodes.INVALID_ARGUMENT, '--relayer is the new key itself.', {
        hint: 'Leave --relayer out for the new key to send its own transaction.',
      })
    }
    // The same consent form `registrar register patient --consent` uses: the next nonce of
    // the signer, a deadline in chain time, and the Registrar's EIP-712 domain.
    const nonce = await context.contract.read.nonces([newAccount])
    const deadline = (await context.publicClient.getBlock()).timestamp + recoveryConsentLifetimeSeconds
    const signature = await newKey.signTypedData({
      domain: medrecConsentDomain(context.chain.id, context.registrar),
      types: medrecConsentTypes,
      primaryType: 'PatientRecovery',
      message: {id: patient.id, newAccount, nonce, deadline},
    })
    sent = await sendRegistrarTransaction(
      context,
      relayer,
      'completeRecoveryWithSig',
      [patient.id, newAccount, deadline, signature],
      `relay ${newAccount}'s signed completion of the recovery of patient ${patient.id}`,
    )
  }
  const rotated = parseEventLogs({abi: registrarAbi, eventName: 'AddressRotated', logs: sent.receipt.logs}).find(
    (log) => getAddress(log.address) === context.registrar,
  )
  return {
    patient: patient.id,
    account: newAccount,
    previousAccount: rotated ? getAddress(rotated.args.oldAccount) : patient.account,
    relayedBy,
    transactions: [sent.hash],
  }
}

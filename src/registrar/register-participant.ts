import {isAddress, type Address, type Hash, type Hex} from 'viem'

import {resolveAccount} from '../accounts/accounts.js'
import {registrarAbi} from '../contracts/abi/registrar.js'
import {medrecConsentDomain, medrecConsentTypes} from '../contracts/consent-typed-data.js'
import {resolveIdentity} from '../contracts/identity-reference.js'
import {sendContractTransaction} from '../contracts/send-contract-transaction.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {openRegistrar, signerFor} from './open-registrar.js'
import {kindNumber, type ParticipantKindName} from './participant-kinds.js'

export type RegisterParticipantOptions = {
  dir: string
  kind: ParticipantKindName
  id?: string
  localId?: string
  /** The participant's account: a key name in the directory, or a 0x address. */
  account: string
  /** Who signs: governance for a provider, a certified provider for everyone else. */
  as: string
  /** For a patient: the patient's key (named by `account`) signs its consent now. */
  consent?: boolean
}

export type RegisterParticipantResult = {
  id: Hex
  kind: ParticipantKindName
  account: Address
  /** registered: done; offered: a patient must still confirm with its own key. */
  outcome: 'registered' | 'offered'
  transactions: Hash[]
  nextStep: string | null
}

/** Consent to registration lasts this long once signed. */
const consentLifetimeSeconds = 600n

/**
 * Registers a participant. Providers are registered and certified by governance. A
 * patient is registered by a certified provider with the patient's consent: an EIP-712
 * signature made now by the patient's key (`consent`), or else an offer the patient
 * confirms with `medrec registrar confirm`. Other stewards are registered by a certified
 * provider.
 */
export async function registerParticipant(options: RegisterParticipantOptions): Promise<RegisterParticipantResult> {
  const context = await openRegistrar(options.dir)
  const {paths} = context.network
  const id = await resolveIdentity(paths, {id: options.id, localId: options.localId})
  const account = await resolveAccount(paths, options.account, '--account')
  const signer = await signerFor(context, options.as)
  const send = {publicClient: context.publicClient, walletClient: signer, address: context.registrar, abi: registrarAbi}
  const transactions: Hash[] = []

  if (options.consent && options.kind !== 'patient') {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, '--consent is for registering a patient.')
  }
  if (options.kind === 'provider') {
    // registerProvider also certifies: a provider enters the whitelist in one transaction.
    transactions.push((await sendContractTransaction({...send, functionName: 'registerProvider', args: [id, account], action: `register provider ${id}`})).hash)
    return {id, kind: options.kind, account, outcome: 'registered', transactions, nextStep: null}
  }
  if (options.kind !== 'patient') {
    const kind = kindNumber(options.kind)
    transactions.push((await sendContractTransaction({...send, functionName: 'registerSteward', args: [id, kind, account], action: `register ${options.kind} ${id}`})).hash)
    return {id, kind: options.kind, account, outcome: 'registered', transactions, nextStep: null}
  }

  // A patient consents explicitly: by signing now (--consent, with the patient's key here),
  // or later by confirming the offer with its own transaction.
  if (options.consent) {
    if (isAddress(options.account, {strict: false})) {
      throw new MedrecError(errorCodes.INVALID_ARGUMENT, '--consent needs --account to name the patient\'s key in this directory, not an address.', {
        hint: 'Leave --consent out to offer the registration; the patient then confirms with `medrec registrar confirm`.',
      })
    }
    const patientKeyName = options.account
    const patient = await signerFor(context, patientKeyName)
    const nonce = await context.publicClient.readContract({address: context.registrar, abi: registrarAbi, functionName: 'nonces', args: [account]})
    const block = await context.publicClient.getBlock()
    const deadline = block.timestamp + consentLifetimeSeconds
    const signature = await patient.signTypedData({
      domain: medrecConsentDomain(context.chain.id, context.registrar),
      types: medrecConsentTypes,
      primaryType: 'PatientRegistration',
      message: {id, account, nonce, deadline},
    })
    transactions.push((await sendContractTransaction({...send, functionName: 'registerPatientWithSig', args: [id, account, deadline, signature], action: `register patient ${id}`})).hash)
    return {id, kind: 'patient', account, outcome: 'registered', transactions, nextStep: null}
  }
  transactions.push((await sendContractTransaction({...send, functionName: 'offerPatientRegistration', args: [id, account], action: `offer registration to patient ${id}`})).hash)
  return {
    id,
    kind: 'patient',
    account,
    outcome: 'offered',
    transactions,
    nextStep: `The patient confirms with their own key: medrec registrar confirm --id ${id} --as <their key>`,
  }
}

/** A patient confirms a registration a provider offered, with the patient's own transaction. */
export async function confirmRegistration(options: {dir: string; id?: string; localId?: string; as: string}): Promise<{id: Hex; account: Address; transactions: Hash[]}> {
  const context = await openRegistrar(options.dir)
  const id = await resolveIdentity(context.network.paths, {id: options.id, localId: options.localId})
  const patient = await signerFor(context, options.as)
  const {hash} = await sendContractTransaction({
    publicClient: context.publicClient,
    walletClient: patient,
    address: context.registrar,
    abi: registrarAbi,
    functionName: 'confirmRegistration',
    args: [id],
    action: `confirm registration of ${id}`,
  })
  return {id, account: patient.account.address, transactions: [hash]}
}

import {getAddress, isAddress, type Address, type Hash, type Hex} from 'viem'

import {resolveAccount} from '../accounts/accounts.js'
import {registrarAbi} from '../contracts/abi/registrar.js'
import {medrecConsentDomain, medrecConsentTypes} from '../contracts/consent-typed-data.js'
import {patientIdentity} from '../contracts/derive-identity.js'
import {resolveEnrolmentReference, resolveIdentity} from '../contracts/identity-reference.js'
import {sendContractTransaction} from '../contracts/send-contract-transaction.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {openRegistrar, signerFor, type RegistrarContext} from './open-registrar.js'
import {kindNumber, type ParticipantKindName} from './participant-kinds.js'
import {identityOfAccount, resolveProviderReference} from './provider-reference.js'

export type RegisterParticipantOptions = {
  dir: string
  kind: ParticipantKindName
  /** A steward's or provider's identity; a patient's is derived on chain instead. */
  id?: string
  /** A steward's local identifier, or a patient's record number at the registering provider. */
  localId?: string
  /** A patient's enrolment reference at the registering provider, computed elsewhere. */
  enrolmentRef?: string
  /** The participant's account: a key name in the directory, or a 0x address. */
  account: string
  /** Who signs: governance for a provider, a certified provider for everyone else. */
  as: string
  /** For a patient: the patient's key (named by `account`) signs its consent now. */
  consent?: boolean
}

export type RegisterParticipantResult = {
  id: Hex
  /** For a patient: the registering provider, whose namespace the identity is in. */
  provider?: Hex
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
 * patient is enrolled by a certified provider (the signer) with the patient's consent: an
 * EIP-712 signature made now by the patient's key (`consent`), or else an offer the patient
 * confirms with `medrec registrar confirm`. The patient's identity is the one the Registrar
 * derives from the signer's provider identity and the enrolment reference (the local id
 * under the identity key). Other stewards are registered by a certified provider.
 */
export async function registerParticipant(options: RegisterParticipantOptions): Promise<RegisterParticipantResult> {
  if (options.consent && options.kind !== 'patient') {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, '--consent is for registering a patient.')
  }
  if (options.kind === 'patient' && options.id !== undefined) {
    const message = "A patient's identity is not chosen: the Registrar derives it from the provider and the enrolment."
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, message, {
      hint: "Give the patient's record number with --local-id, or an enrolment reference with --enrolment-ref 0x….",
    })
  }
  if (options.kind !== 'patient' && options.enrolmentRef !== undefined) {
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      "--enrolment-ref is for registering a patient; give a steward's identity with --id or --local-id.",
    )
  }
  const context = await openRegistrar(options.dir)
  const {paths} = context.network
  if (options.kind === 'patient') return registerPatient(context, options)
  const id = await resolveIdentity(paths, {id: options.id, localId: options.localId})
  const account = await resolveAccount(paths, options.account, '--account')
  const signer = await signerFor(context, options.as)
  const send = {publicClient: context.publicClient, walletClient: signer, address: context.registrar, abi: registrarAbi}
  const transactions: Hash[] = []
  if (options.kind === 'provider') {
    // registerProvider also certifies: a provider enters the whitelist in one transaction.
    transactions.push(
      (
        await sendContractTransaction({
          ...send,
          functionName: 'registerProvider',
          args: [id, account],
          action: `register provider ${id}`,
        })
      ).hash,
    )
    return {id, kind: options.kind, account, outcome: 'registered', transactions, nextStep: null}
  }
  const kind = kindNumber(options.kind)
  transactions.push(
    (
      await sendContractTransaction({
        ...send,
        functionName: 'registerSteward',
        args: [id, kind, account],
        action: `register ${options.kind} ${id}`,
      })
    ).hash,
  )
  return {id, kind: options.kind, account, outcome: 'registered', transactions, nextStep: null}
}

async function registerPatient(
  context: RegistrarContext,
  options: RegisterParticipantOptions,
): Promise<RegisterParticipantResult> {
  const {paths} = context.network
  const enrolmentRef = await resolveEnrolmentReference(paths, {
    enrolmentRef: options.enrolmentRef,
    localId: options.localId,
  })
  const account = await resolveAccount(paths, options.account, '--account')
  const signer = await signerFor(context, options.as)
  const send = {publicClient: context.publicClient, walletClient: signer, address: context.registrar, abi: registrarAbi}
  // The contract namespaces the identity by the caller's own provider identity; an
  // unregistered signer reads zero here and the contract refuses it (NotCertifiedProvider).
  const provider = await identityOfAccount(context, signer.account.address)
  const id = patientIdentity(provider, enrolmentRef)
  const transactions: Hash[] = []

  // A patient consents explicitly: by signing now (--consent, with the patient's key here),
  // or later by confirming the offer with its own transaction.
  if (options.consent) {
    if (isAddress(options.account, {strict: false})) {
      throw new MedrecError(
        errorCodes.INVALID_ARGUMENT,
        "--consent needs --account to name the patient's key in this directory, not an address.",
        {
          hint:
            'Leave --consent out to offer the registration; the ' +
            'patient then confirms with `medrec registrar confirm`.',
        },
      )
    }
    const patientKeyName = options.account
    const patient = await signerFor(context, patientKeyName)
    const nonce = await context.publicClient.readContract({
      address: context.registrar,
      abi: registrarAbi,
      functionName: 'nonces',
      args: [account],
    })
    const block = await context.publicClient.getBlock()
    const deadline = block.timestamp + consentLifetimeSeconds
    const signature = await patient.signTypedData({
      domain: medrecConsentDomain(context.chain.id, context.registrar),
      types: medrecConsentTypes,
      primaryType: 'PatientRegistration',
      message: {provider, enrolmentRef, account, nonce, deadline},
    })
    transactions.push(
      (
        await sendContractTransaction({
          ...send,
          functionName: 'registerPatientWithSig',
          args: [enrolmentRef, account, deadline, signature],
          action: `register patient ${id}`,
        })
      ).hash,
    )
    return {id, provider, kind: 'patient', account, outcome: 'registered', transactions, nextStep: null}
  }
  transactions.push(
    (
      await sendContractTransaction({
        ...send,
        functionName: 'offerPatientRegistration',
        args: [enrolmentRef, account],
        action: `offer registration to patient ${id}`,
      })
    ).hash,
  )
  return {
    id,
    provider,
    kind: 'patient',
    account,
    outcome: 'offered',
    transactions,
    nextStep: `The patient confirms with their own key: medrec registrar confirm --id ${id} --as <their key>`,
  }
}

/** A registration offer that still stands: the provider that made it and its enrolment reference. */
type StandingOffer = {provider: Hex; enrolmentRef: Hex; id: Hex}

/** The offers made to `account` that are still pending, newest last. */
async function standingOffers(context: RegistrarContext, account: Address): Promise<StandingOffer[]> {
  const logs = await context.publicClient.getContractEvents({
    address: context.registrar,
    abi: registrarAbi,
    eventName: 'PatientRegistrationOffered',
    args: {account},
    fromBlock: 0n,
  })
  const offers: StandingOffer[] = []
  for (const log of logs) {
    const {providerId: provider, enrolmentRef, id} = log.args
    if (!provider || !enrolmentRef || !id || offers.some((o) => o.id === id)) continue
    const pending = await context.publicClient.readContract({
      address: context.registrar,
      abi: registrarAbi,
      functionName: 'pendingRegistration',
      args: [account, provider],
    })
    if (pending === enrolmentRef) offers.push({provider, enrolmentRef, id})
  }
  return offers
}

/**
 * A patient confirms a registration a provider offered, with the patient's own transaction:
 * the offer is found by the identity it creates (`id`), or by the record number
 * (`localId`, at `provider` if given, else at whichever provider made a matching offer).
 */
export async function confirmRegistration(options: {
  dir: string
  id?: string
  localId?: string
  provider?: string
  as: string
}): Promise<{id: Hex; provider: Hex; account: Address; transactions: Hash[]}> {
  if (options.id !== undefined && options.localId !== undefined) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, 'Give --id or its --local-id form, not both.')
  }
  const context = await openRegistrar(options.dir)
  const patient = await signerFor(context, options.as)
  const account = getAddress(patient.account.address)
  let wanted: (offer: StandingOffer) => boolean
  let described: string
  if (options.localId !== undefined) {
    const enrolmentRef = await resolveEnrolmentReference(context.network.paths, {localId: options.localId})
    const provider =
      options.provider === undefined ? undefined : await resolveProviderReference(context, options.provider)
    wanted = (o) => o.enrolmentRef === enrolmentRef && (provider === undefined || o.provider === provider)
    described = `local id ${options.localId.trim()}${options.provider === undefined ? '' : ` at ${options.provider}`}`
  } else {
    const id = await resolveIdentity(context.network.paths, {id: options.id})
    wanted = (o) => o.id === id
    described = `identity ${id}`
  }
  const offers = (await standingOffers(context, account)).filter(wanted)
  if (offers.length !== 1) {
    if (offers.length === 0) {
      const message = `No provider has a pending offer to register ${account} (${options.as}) under ${described}.`
      throw new MedrecError(errorCodes.INVALID_ARGUMENT, message, {
        hint: 'Ask the provider to offer it again (`medrec registrar register patient` with your address).',
      })
    }
    const message = `Several providers offered to register ${account} under ${described}.`
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, message, {
      hint: `Name one with --provider: ${offers.map((o) => o.provider).join(', ')}.`,
    })
  }
  const {id, provider, enrolmentRef} = offers[0]!
  const {hash} = await sendContractTransaction({
    publicClient: context.publicClient,
    walletClient: patient,
    address: context.registrar,
    abi: registrarAbi,
    functionName: 'confirmRegistration',
    args: [provider, enrolmentRef],
    action: `confirm registration of ${id}`,
  })
  return {id, provider, account, transactions: [hash]}
}

import {getAddress, isAddress, zeroAddress, zeroHash, type Address, type Hex} from 'viem'

import {resolveAccount} from '../accounts/accounts.js'
import {registrarAbi} from '../contracts/abi/registrar.js'
import {relationshipAbi} from '../contracts/abi/relationship.js'
import {summaryAbi} from '../contracts/abi/summary.js'
import {resolveIdentity, resolvePatientIdentity} from '../contracts/identity-reference.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {openRegistrar, type RegistrarContext} from './open-registrar.js'
import {isoFromChainSeconds, kindName, statusName, type RelationshipStatusName} from './participant-kinds.js'
import {resolveProviderReference} from './provider-reference.js'

export type ParticipantInfo = {id: Hex; kind: string; account: Address; certified: boolean; summary: Address}

async function participantById(
  context: RegistrarContext,
  id: Hex,
  fromStewardLocalId = false,
): Promise<ParticipantInfo> {
  const p = await context.publicClient.readContract({
    address: context.registrar,
    abi: registrarAbi,
    functionName: 'participant',
    args: [id],
  })
  if (p.kind === 0) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `No participant has identity ${id}.`, {
      hint: fromStewardLocalId
        ? "A patient's local id names it only at its provider: add --provider NAME " +
          '(patient identities are namespaced by provider).'
        : 'Check the identity, or register it with `medrec registrar register`.',
    })
  }
  return {
    id,
    kind: kindName(p.kind),
    account: getAddress(p.account),
    certified: p.certified,
    summary: getAddress(p.summary),
  }
}

/**
 * Looks a participant up by identity (--id; --local-id with --provider for a patient, alone
 * for a steward) or by account (address or key name).
 */
export async function showParticipant(options: {
  dir: string
  id?: string
  localId?: string
  provider?: string
  account?: string
}): Promise<ParticipantInfo> {
  const context = await openRegistrar(options.dir)
  if (options.account !== undefined) {
    const account = await resolveAccount(context.network.paths, options.account, '--account')
    const id = await context.publicClient.readContract({
      address: context.registrar,
      abi: registrarAbi,
      functionName: 'identityOf',
      args: [account],
    })
    if (id === zeroHash) {
      throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${account} is not the account of any participant.`, {
        hint: 'Look it up by identity instead, or register it.',
      })
    }
    return participantById(context, id)
  }
  if (options.provider !== undefined) {
    const provider = await resolveProviderReference(context, options.provider)
    return participantById(
      context,
      await resolvePatientIdentity(context.network.paths, {id: options.id, localId: options.localId}, provider),
    )
  }
  return participantById(
    context,
    await resolveIdentity(context.network.paths, {id: options.id, localId: options.localId}),
    options.localId !== undefined,
  )
}

export type RelationshipEntry = {
  relationship: Address
  patient: Hex
  steward: Hex
  round: number
  status: RelationshipStatusName
  previousStatus: RelationshipStatusName
  changedAt: string | null
}

/** One page of a participant's relationships, current and past, from its Summary. */
export async function listRelationships(options: {
  dir: string
  id?: string
  localId?: string
  provider?: string
  account?: string
  offset: number
  limit: number
}): Promise<{participant: ParticipantInfo; total: number; offset: number; relationships: RelationshipEntry[]}> {
  if (
    !Number.isInteger(options.offset) ||
    options.offset < 0 ||
    !Number.isInteger(options.limit) ||
    options.limit < 1 ||
    options.limit > 200
  ) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, '--offset must be 0 or more and --limit from 1 to 200.')
  }
  const participant = await showParticipant(options)
  const context = await openRegistrar(options.dir)
  // One block for every read, so a transaction mined in between cannot split the answer.
  const blockNumber = await context.publicClient.getBlockNumber()
  const summary = {address: participant.summary, abi: summaryAbi, blockNumber} as const
  const total = Number(await context.publicClient.readContract({...summary, functionName: 'count'}))
  const page = await context.publicClient.readContract({
    ...summary,
    functionName: 'page',
    args: [BigInt(options.offset), BigInt(options.limit)],
  })
  return {
    participant,
    total,
    offset: options.offset,
    relationships: page.map((e) => ({
      relationship: getAddress(e.relationship),
      patient: e.patient,
      steward: e.steward,
      round: Number(e.round),
      status: statusName(e.status),
      previousStatus: statusName(e.previousStatus),
      changedAt: isoFromChainSeconds(e.changedAt),
    })),
  }
}

export type RelationshipInfo = {
  relationship: Address
  patient: Hex
  steward: Hex
  round: number
  status: RelationshipStatusName
  changedAt: string | null
  pointer: {endpoint: string; queryRef: Hex; contentHash: Hex}
  /** Current grants; `expired` ones are still listed until the patient revokes them. */
  viewers: {account: Address; scope: string; expiresAt: string | null; expired: boolean}[]
}

/** A relationship's parties, status, pointer and current viewers. */
export async function showRelationship(options: {dir: string; relationship: string}): Promise<RelationshipInfo> {
  const context = await openRegistrar(options.dir)
  const address = await requireRelationship(context, options.relationship)
  const read = context.publicClient
  const block = await read.getBlock()
  const rel = {address, abi: relationshipAbi, blockNumber: block.number} as const
  const [patient, steward, current, pointer, viewerCount] = await Promise.all([
    read.readContract({...rel, functionName: 'patient'}),
    read.readContract({...rel, functionName: 'steward'}),
    read.readContract({...rel, functionName: 'current'}),
    read.readContract({...rel, functionName: 'pointer'}),
    read.readContract({...rel, functionName: 'viewerCount'}),
  ])
  const viewers = await Promise.all(
    Array.from({length: Number(viewerCount)}, async (_, i) => {
      const account = await read.readContract({...rel, functionName: 'viewerAt', args: [BigInt(i)]})
      const [scope, expiry] = await read.readContract({...rel, functionName: 'grantOf', args: [account]})
      return {
        account: getAddress(account),
        scope: scope.toString(),
        expiresAt: isoFromChainSeconds(expiry),
        expired: expiry <= block.timestamp,
      }
    }),
  )
  const [round, status, , changedAt] = current
  return {
    relationship: address,
    patient,
    steward,
    round: Number(round),
    status: statusName(status),
    changedAt: isoFromChainSeconds(changedAt),
    pointer: {endpoint: pointer[0], queryRef: pointer[1], contentHash: pointer[2]},
    viewers,
  }
}

/** Whether `requester` may read under `scope` now (the view the gatekeeper asks). */
export async function canAccess(options: {
  dir: string
  relationship: string
  requester: string
  scope: bigint
}): Promise<{relationship: Address; requester: Address; scope: string; allowed: boolean}> {
  const context = await openRegistrar(options.dir)
  const relationship = await requireRelationship(context, options.relationship)
  const requester = await resolveAccount(context.network.paths, options.requester, '--requester')
  const allowed = await context.publicClient.readContract({
    address: context.registrar,
    abi: registrarAbi,
    functionName: 'canAccess',
    args: [relationship, requester, options.scope],
  })
  return {relationship, requester, scope: options.scope.toString(), allowed}
}

/** A relationship address that the Registrar created; anything else is refused by name. */
export async function requireRelationship(context: RegistrarContext, reference: string): Promise<Address> {
  if (!isAddress(reference, {strict: false}) || getAddress(reference) === zeroAddress) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `"${reference}" is not a relationship address.`, {
      hint: 'Find it with `medrec registrar relationships`.',
    })
  }
  const address = getAddress(reference)
  const known = await context.publicClient.readContract({
    address: context.registrar,
    abi: registrarAbi,
    functionName: 'isRelationship',
    args: [address],
  })
  if (!known) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${address} is not a MedRec relationship on this network.`, {
      hint: 'Find it with `medrec registrar relationships`.',
    })
  }
  return address
}

import {randomBytes} from 'node:crypto'

import {getAddress, zeroHash, type Address, type Hash, type Hex} from 'viem'

import {resolveAccount} from '../accounts/accounts.js'
import {registrarAbi} from '../contracts/abi/registrar.js'
import {resolveIdentity} from '../contracts/identity-reference.js'
import {sendContractTransaction} from '../contracts/send-contract-transaction.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {openRegistrar, signerFor, type RegistrarContext} from './open-registrar.js'
import {requireRelationship} from './read-registrar.js'

function bytes32(value: string | undefined, flag: string): Hex | undefined {
  if (value === undefined) return undefined
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${flag} must be 32 bytes of hex (0x + 64 digits), not "${value}".`)
  return value.toLowerCase() as Hex
}

function endpointOf(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `--endpoint "${value}" is not a URL.`, {hint: 'Give the gatekeeper\'s base URL, e.g. https://gatekeeper.mercy.example.'})
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new MedrecError(errorCodes.INVALID_ARGUMENT, `--endpoint must be an http(s) URL, not ${url.protocol}.`)
  return value
}

export type ProposeResult = {relationship: Address; patient: Hex; steward: Address; queryRef: Hex; contentHash: Hex; transaction: Hash}

/**
 * A steward proposes a relationship to a patient: where the records are (its gatekeeper
 * endpoint and an opaque query reference, random unless given) and their content hash.
 */
export async function proposeRelationship(options: {
  dir: string
  patientId?: string
  patientLocalId?: string
  endpoint: string
  queryRef?: string
  contentHash?: string
  as: string
}): Promise<ProposeResult> {
  const context = await openRegistrar(options.dir)
  const patient = await resolveIdentity(context.network.paths, {id: options.patientId, localId: options.patientLocalId}, '--patient')
  const endpoint = endpointOf(options.endpoint)
  const queryRef = bytes32(options.queryRef, '--query-ref') ?? (`0x${randomBytes(32).toString('hex')}` as Hex)
  const contentHash = bytes32(options.contentHash, '--content-hash') ?? zeroHash
  const steward = await signerFor(context, options.as)
  const {hash} = await sendContractTransaction({
    publicClient: context.publicClient,
    walletClient: steward,
    address: context.registrar,
    abi: registrarAbi,
    functionName: 'propose',
    args: [patient, endpoint, queryRef, contentHash],
    action: `propose a relationship to patient ${patient}`,
  })
  const stewardId = await context.publicClient.readContract({address: context.registrar, abi: registrarAbi, functionName: 'identityOf', args: [steward.account.address]})
  const relationship = await context.publicClient.readContract({address: context.registrar, abi: registrarAbi, functionName: 'relationshipOf', args: [patient, stewardId]})
  return {relationship: getAddress(relationship), patient, steward: steward.account.address, queryRef, contentHash, transaction: hash}
}

export type RelationshipActionResult = {relationship: Address; action: string; by: Address; transaction: Hash}

async function act(
  options: {dir: string; relationship: string; as: string},
  action: string,
  call: (context: RegistrarContext, relationship: Address) => {functionName: 'accept' | 'reject' | 'end' | 'grantViewer' | 'revokeViewer' | 'updatePointer'; args: readonly unknown[]} | Promise<{functionName: 'accept' | 'reject' | 'end' | 'grantViewer' | 'revokeViewer' | 'updatePointer'; args: readonly unknown[]}>,
): Promise<RelationshipActionResult> {
  const context = await openRegistrar(options.dir)
  const relationship = await requireRelationship(context, options.relationship)
  const signer = await signerFor(context, options.as)
  const {functionName, args} = await call(context, relationship)
  const {hash} = await sendContractTransaction({
    publicClient: context.publicClient,
    walletClient: signer,
    address: context.registrar,
    abi: registrarAbi,
    functionName,
    args: args as never,
    action: `${action} relationship ${relationship}`,
  })
  return {relationship, action, by: signer.account.address, transaction: hash}
}

/** The patient accepts, rejects or ends a relationship (its history is kept). */
export async function setRelationshipStatus(options: {dir: string; relationship: string; as: string; action: 'accept' | 'reject' | 'end'}): Promise<RelationshipActionResult> {
  return act(options, options.action, (_, relationship) => ({functionName: options.action, args: [relationship]}))
}

/** The patient lets `viewer` read under `scope` (a bitmask) until the expiry. */
export async function grantViewer(options: {dir: string; relationship: string; as: string; viewer: string; scope: bigint; expiresInSeconds: number}): Promise<RelationshipActionResult & {viewer: Address; scope: string; expiresAt: string}> {
  if (options.scope <= 0n || options.scope >= 2n ** 256n) throw new MedrecError(errorCodes.INVALID_ARGUMENT, '--scope must be a positive bitmask (e.g. 1).')
  if (!Number.isInteger(options.expiresInSeconds) || options.expiresInSeconds <= 0) throw new MedrecError(errorCodes.INVALID_ARGUMENT, '--expires-in must be a positive number of seconds.')
  let viewer: Address | undefined
  let expiry = 0n
  const result = await act(options, 'grant a viewer on', async (context, relationship) => {
    viewer = await resolveAccount(context.network.paths, options.viewer, '--viewer')
    const block = await context.publicClient.getBlock()
    expiry = block.timestamp + BigInt(options.expiresInSeconds)
    return {functionName: 'grantViewer', args: [relationship, viewer, options.scope, expiry]}
  })
  return {...result, viewer: viewer!, scope: options.scope.toString(), expiresAt: new Date(Number(expiry) * 1000).toISOString()}
}

/** The patient withdraws a viewer's grant; it is refused from the next block on. */
export async function revokeViewer(options: {dir: string; relationship: string; as: string; viewer: string}): Promise<RelationshipActionResult & {viewer: Address}> {
  let viewer: Address | undefined
  const result = await act(options, 'revoke a viewer on', async (context, relationship) => {
    viewer = await resolveAccount(context.network.paths, options.viewer, '--viewer')
    return {functionName: 'revokeViewer', args: [relationship, viewer]}
  })
  return {...result, viewer: viewer!}
}

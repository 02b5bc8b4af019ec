import {randomBytes} from 'node:crypto'

import {getAddress, zeroHash, type Address, type Hash, type Hex} from 'viem'

import {resolveAccount} from '../accounts/accounts.js'
import {resolvePatientIdentity} from '../contracts/identity-reference.js'
import type {SentContractTransaction} from '../contracts/send-contract-transaction.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {openRegistrar, signerFor, type RegistrarContext} from './open-registrar.js'
import {isoFromChainSeconds} from './participant-kinds.js'
import {identityOfAccount} from './provider-reference.js'
import {requireRelationship} from './read-registrar.js'
import {
  sendRegistrarTransaction,
  type RegistrarWriteArgs,
  type RegistrarWriteName,
} from './send-registrar-transaction.js'

function bytes32(value: string | undefined, flag: string): Hex | undefined {
  if (value === undefined) return undefined
  if (!/^0x[0-9a-fA-F]{64}$/.test(value))
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      `${flag} must be 32 bytes of hex (0x + 64 digits), not "${value}".`,
    )
  return value.toLowerCase() as Hex
}

/**
 * The gatekeeper's base URL. It goes on chain for everyone to read, so it may carry no
 * credentials, query or fragment (a place where a record number could hide).
 */
function endpointOf(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `--endpoint "${value}" is not a URL.`, {
      hint: "Give the gatekeeper's base URL, e.g. https://gatekeeper.mercy.example.",
    })
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `--endpoint must be an http(s) URL, not ${url.protocol}.`)
  if (url.username || url.password || url.search || url.hash) {
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      '--endpoint may not contain a user name, password, query or fragment: it is public on chain.',
      {
        hint: "Give only the gatekeeper's base URL; what to fetch is the opaque --query-ref.",
      },
    )
  }
  return value
}

/** Grants last at least a minute (a block or two) and at most ten years. */
export const grantDurationLimits = {minSeconds: 60, maxSeconds: 10 * 365 * 86_400} as const

export type ProposeResult = {
  relationship: Address
  patient: Hex
  steward: Hex
  stewardAccount: Address
  queryRef: Hex
  contentHash: Hex
  transactions: Hash[]
}

/**
 * A steward proposes a relationship to a patient: where the records are (its gatekeeper
 * endpoint and an opaque query reference, random unless given) and their content hash.
 * A patient named by local id is the steward's own patient (its record number there).
 */
export async function proposeRelationship(options: {
  dir: string
  /** The patient's 32-byte identity (0x…); or, instead: */
  patient?: string
  /** The patient's record number at the steward, turned into its identity in the steward's namespace. */
  patientLocalId?: string
  endpoint: string
  queryRef?: string
  contentHash?: string
  as: string
}): Promise<ProposeResult> {
  // Input first: nothing is read from the chain for a request that is wrong anyway.
  const endpoint = endpointOf(options.endpoint)
  const queryRef = bytes32(options.queryRef, '--query-ref') ?? (`0x${randomBytes(32).toString('hex')}` as Hex)
  const contentHash = bytes32(options.contentHash, '--content-hash') ?? zeroHash
  const context = await openRegistrar(options.dir)
  const steward = await signerFor(context, options.as)
  const stewardId = await identityOfAccount(context, steward.account.address)
  const patient = await resolvePatientIdentity(
    context.network.paths,
    {id: options.patient, localId: options.patientLocalId},
    stewardId,
    '--patient',
  )
  const {hash} = await sendRegistrarTransaction(
    context,
    steward,
    'propose',
    [patient, endpoint, queryRef, contentHash],
    `propose a relationship to patient ${patient}`,
  )
  const relationship = await context.contract.read.relationshipOf([patient, stewardId])
  return {
    relationship: getAddress(relationship),
    patient,
    steward: stewardId,
    stewardAccount: steward.account.address,
    queryRef,
    contentHash,
    transactions: [hash],
  }
}

export type RelationshipActionResult = {
  relationship: Address
  action: 'accept' | 'reject' | 'end' | 'grant' | 'revoke'
  by: Address
  transactions: Hash[]
}

/** Sends one Registrar call as the acting key, named for messages by the action. */
type SendAs = <F extends RegistrarWriteName>(
  functionName: F,
  args: RegistrarWriteArgs<F>,
) => Promise<SentContractTransaction>

const actionNames: Record<RelationshipActionResult['action'], string> = {
  accept: 'accept',
  reject: 'reject',
  end: 'end',
  grant: 'grant a viewer on',
  revoke: 'revoke a viewer on',
}

async function act(
  options: {dir: string; relationship: string; as: string},
  action: RelationshipActionResult['action'],
  call: (context: RegistrarContext, relationship: Address, send: SendAs) => Promise<SentContractTransaction>,
): Promise<RelationshipActionResult> {
  const context = await openRegistrar(options.dir)
  const relationship = await requireRelationship(context, options.relationship)
  const signer = await signerFor(context, options.as)
  const send: SendAs = (functionName, args) =>
    sendRegistrarTransaction(context, signer, functionName, args, `${actionNames[action]} relationship ${relationship}`)
  const {hash} = await call(context, relationship, send)
  return {relationship, action, by: signer.account.address, transactions: [hash]}
}

/** The patient accepts, rejects or ends a relationship (its history is kept). */
export async function setRelationshipStatus(options: {
  dir: string
  relationship: string
  as: string
  action: 'accept' | 'reject' | 'end'
}): Promise<RelationshipActionResult> {
  return act(options, options.action, (_, relationship, send) => send(options.action, [relationship]))
}

/** The patient lets `viewer` read under `scope` (a bitmask) until the expiry. */
export async function grantViewer(options: {
  dir: string
  relationship: string
  as: string
  viewer: string
  scope: bigint
  expiresInSeconds: number
}): Promise<RelationshipActionResult & {viewer: Address; scope: string; expiresAt: string | null}> {
  if (options.scope <= 0n || options.scope >= 2n ** 256n)
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, '--scope must be a positive bitmask (e.g. 1).')
  if (
    !Number.isInteger(options.expiresInSeconds) ||
    options.expiresInSeconds < grantDurationLimits.minSeconds ||
    options.expiresInSeconds > grantDurationLimits.maxSeconds
  ) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, 'A grant lasts from 1 minute to 10 years.')
  }
  let viewer: Address | undefined
  let expiry = 0n
  const result = await act(options, 'grant', async (context, relationship, send) => {
    viewer = await resolveAccount(context.network.paths, options.viewer, '--viewer')
    const block = await context.publicClient.getBlock()
    expiry = block.timestamp + BigInt(options.expiresInSeconds)
    return send('grantViewer', [relationship, viewer, options.scope, expiry])
  })
  return {...result, viewer: viewer!, scope: options.scope.toString(), expiresAt: isoFromChainSeconds(expiry)}
}

/** The patient withdraws a viewer's grant; it is refused from the next block on. */
export async function revokeViewer(options: {
  dir: string
  relationship: string
  as: string
  viewer: string
}): Promise<RelationshipActionResult & {viewer: Address}> {
  let viewer: Address | undefined
  const result = await act(options, 'revoke', async (context, relationship, send) => {
    viewer = await resolveAccount(context.network.paths, options.viewer, '--viewer')
    return send('revokeViewer', [relationship, viewer])
  })
  return {...result, viewer: viewer!}
}

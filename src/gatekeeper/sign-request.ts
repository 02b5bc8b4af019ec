import {randomBytes} from 'node:crypto'

import {
  bytesToHex,
  getAddress,
  isAddress,
  maxUint256,
  numberToHex,
  type Address,
  type Hex,
  type LocalAccount,
} from 'viem'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {
  gatekeeperActions,
  gatekeeperRequestDomain,
  gatekeeperRequestHash,
  gatekeeperRequestHeader,
  gatekeeperRequestTypes,
  gatekeeperSignatureHeader,
  isHttpMethodToken,
  type GatekeeperAction,
  type GatekeeperRequestFields,
  type GatekeeperRequestMessage,
} from './request-typed-data.js'

export type SignGatekeeperRequestParameters = {
  account: LocalAccount
  chainId: number
  /** The Registrar contract: the EIP-712 verifying contract. */
  registrar: Address
  /** The receiving gatekeeper's provider account. */
  audience: Address
  relationship: Address
  action: GatekeeperAction
  scope: bigint
  method: string
  /** Path and query exactly as they will be sent on the request line. */
  path: string
  body?: Uint8Array
  /** Seconds until the request expires; gatekeepers refuse more than their maximum (300 s by default). */
  lifetimeSeconds?: number
  now?: Date
  /** 32 bytes; random unless given (tests, or a caller that logs nonces before sending). */
  nonce?: Hex
}

export type SignedGatekeeperRequest = {
  headers: Record<string, string>
  request: GatekeeperRequestMessage
}

const defaultLifetimeSeconds = 60
const secp256k1Order = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
const secp256k1HalfOrder = secp256k1Order / 2n

/** Signs one HTTP request to a gatekeeper and returns the headers to send with it. */
export async function signGatekeeperRequest(
  parameters: SignGatekeeperRequestParameters,
): Promise<SignedGatekeeperRequest> {
  const {account, chainId, registrar, method, path} = parameters
  const body = parameters.body ?? new Uint8Array()
  const lifetimeSeconds = parameters.lifetimeSeconds ?? defaultLifetimeSeconds
  const nowMs = (parameters.now ?? new Date()).getTime()
  const nonce = (parameters.nonce ?? bytesToHex(randomBytes(32))).toLowerCase() as Hex
  checkParameters(parameters, {lifetimeSeconds, nowMs, nonce})

  const fields: GatekeeperRequestFields = {
    requester: getAddress(account.address),
    relationship: getAddress(parameters.relationship),
    action: parameters.action,
    scope: parameters.scope,
    nonce,
    expiry: BigInt(Math.floor(nowMs / 1000) + lifetimeSeconds),
    audience: getAddress(parameters.audience),
  }
  const request: GatekeeperRequestMessage = {...fields, requestHash: gatekeeperRequestHash({method, path, body})}
  const signature = await account.signTypedData({
    domain: gatekeeperRequestDomain(chainId, registrar),
    types: gatekeeperRequestTypes,
    primaryType: 'GatekeeperRequest',
    message: request,
  })
  return {
    headers: {
      [gatekeeperRequestHeader]: encodeGatekeeperRequestHeader(fields),
      [gatekeeperSignatureHeader]: toStrictSignature(signature),
    },
    request,
  }
}

/**
 * base64url (no padding) of the JSON of the signed fields, bigints as decimal strings.
 * requestHash is left out on purpose: the gatekeeper recomputes it from the method, path
 * and body it actually received, so a changed request fails the signature.
 */
export function encodeGatekeeperRequestHeader(fields: GatekeeperRequestFields): string {
  const json = JSON.stringify({
    requester: fields.requester,
    relationship: fields.relationship,
    action: fields.action,
    scope: fields.scope.toString(10),
    nonce: fields.nonce,
    expiry: fields.expiry.toString(10),
    audience: fields.audience,
  })
  return Buffer.from(json, 'utf8').toString('base64url')
}

/**
 * Brings a 65-byte signature into the only form gatekeepers and ECDSA.sol accept:
 * v ∈ {27, 28} and s in the lower half of the curve order. viem's local accounts already
 * sign that way; custom signers (KMS, HSM) may return v ∈ {0, 1} or the high-s twin.
 */
export function toStrictSignature(signature: Hex): Hex {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, 'the signer returned a signature that is not 65 bytes')
  }
  const r = signature.slice(2, 66).toLowerCase()
  let s = BigInt(`0x${signature.slice(66, 130)}`)
  let v = Number.parseInt(signature.slice(130, 132), 16)
  if (v === 0 || v === 1) v += 27
  if (v !== 27 && v !== 28) {
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      `the signer returned a signature with v = ${v}; expected 27 or 28`,
    )
  }
  if (s > secp256k1HalfOrder) {
    // (r, n - s) with the other parity is the same signature's low-s twin (EIP-2).
    s = secp256k1Order - s
    v = v === 27 ? 28 : 27
  }
  return `0x${r}${numberToHex(s, {size: 32}).slice(2)}${v.toString(16)}`
}

function checkParameters(
  parameters: SignGatekeeperRequestParameters,
  resolved: {lifetimeSeconds: number; nowMs: number; nonce: Hex},
): void {
  const problems: string[] = []
  if (!Number.isSafeInteger(parameters.chainId) || parameters.chainId <= 0)
    problems.push(`chainId: ${parameters.chainId} is not a positive integer`)
  for (const field of ['registrar', 'audience', 'relationship'] as const) {
    if (!isAddress(parameters[field], {strict: true}))
      problems.push(`${field}: ${parameters[field]} is not a valid address`)
  }
  if (!(gatekeeperActions as readonly string[]).includes(parameters.action)) {
    problems.push(`action: "${parameters.action}" is not one of ${gatekeeperActions.join(', ')}`)
  }
  if (typeof parameters.scope !== 'bigint' || parameters.scope < 0n || parameters.scope > maxUint256)
    problems.push('scope: must be a uint256')
  if (!isHttpMethodToken(parameters.method)) problems.push(`method: "${parameters.method}" is not an HTTP method`)
  if (parameters.path.length === 0 || /\s/.test(parameters.path))
    problems.push('path: must be non-empty and contain no whitespace')
  if (!Number.isSafeInteger(resolved.lifetimeSeconds) || resolved.lifetimeSeconds <= 0) {
    problems.push(`lifetimeSeconds: ${resolved.lifetimeSeconds} is not a positive whole number of seconds`)
  }
  if (!Number.isFinite(resolved.nowMs)) problems.push('now: is not a valid date')
  if (!/^0x[0-9a-f]{64}$/.test(resolved.nonce)) problems.push('nonce: must be 32 bytes of hex')
  if (problems.length > 0) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, 'Cannot sign the gatekeeper request', {details: problems})
  }
}

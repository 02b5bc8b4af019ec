import secp256k1 from 'secp256k1'
import {getAddress, hexToBytes, isAddress, toHex, type Address, type Hash, type Hex} from 'viem'

import {errorCodes} from '../errors/error-codes.js'
import {keccak256Bytes} from './keccak.js'
import {MedrecError} from '../errors/medrec-error.js'
import {
  gatekeeperActions,
  gatekeeperDomainSeparator,
  gatekeeperRequestDigest,
  gatekeeperRequestHash,
  gatekeeperRequestHeader,
  gatekeeperSignatureHeader,
  isHttpMethodToken,
  type GatekeeperAction,
  type GatekeeperRequestFields,
} from './request-typed-data.js'

/** Stable reason codes: the server maps them to HTTP answers and the audit log records them. */
export const gatekeeperRejectionReasons = [
  'missing-auth',
  'malformed-request',
  'malformed-signature',
  'bad-signature-v',
  'high-s',
  'bad-signature',
  'wrong-audience',
  'expired',
  'expiry-too-far',
] as const
export type GatekeeperRejectionReason = (typeof gatekeeperRejectionReasons)[number]

export type VerifyGatekeeperRequestParameters = {
  /** As Node gives them: lowercase names; a name may be looked up in any case here. */
  headers: Record<string, string | string[] | undefined>
  method: string
  /** Path and query exactly as received on the request line. */
  path: string
  body: Uint8Array
  chainId: number
  registrar: Address
  /** This gatekeeper's provider account. */
  audience: Address
  now: Date
  /** Longest lifetime a request may ask for (default 300 s). */
  maxLifetimeSeconds?: number
  /** Tolerated difference between the requester's clock and ours (default 30 s). */
  clockSkewSeconds?: number
}

export type VerifiedRequest = {
  ok: true
  request: GatekeeperRequestFields
  /** keccak256 of the signature bytes: what the audit log records. */
  signatureHash: Hash
  /** The requester's uncompressed public key (0x04 ‖ x ‖ y); the response is encrypted to it. */
  publicKey: Hex
}

export type RejectedRequest = {
  ok: false
  reason: GatekeeperRejectionReason
  /** For the server's own log; says what was wrong without echoing the input. */
  message: string
}

const defaultMaxLifetimeSeconds = 300
const defaultClockSkewSeconds = 30
// The JSON is ~350 bytes; 2 KiB leaves room for growth while keeping parsing trivially cheap.
const maxRequestJsonBytes = 2048
const maxRequestHeaderChars = Math.ceil(maxRequestJsonBytes / 3) * 4
const maxUint64 = 2n ** 64n - 1n
const maxUint256 = 2n ** 256n - 1n
/** secp256k1n / 2, as in contracts/lib/ECDSA.sol. */
const secp256k1HalfOrder = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n
const strictUtf8 = new TextDecoder('utf-8', {fatal: true})
const requestFieldNames = ['requester', 'relationship', 'action', 'scope', 'nonce', 'expiry', 'audience'] as const

/**
 * Checks a signed gatekeeper request without touching the chain: format, audience and
 * time first (cheap), then one public-key recovery. Never throws on what the client sent;
 * throws MedrecError only when the server's own parameters are wrong.
 * A verified request still has to pass the nonce registry and Registrar.canAccess.
 */
export async function verifyGatekeeperRequest(
  parameters: VerifyGatekeeperRequestParameters,
): Promise<VerifiedRequest | RejectedRequest> {
  const {chainId, registrar, now} = parameters
  const maxLifetimeSeconds = parameters.maxLifetimeSeconds ?? defaultMaxLifetimeSeconds
  const clockSkewSeconds = parameters.clockSkewSeconds ?? defaultClockSkewSeconds
  const nowMs = now.getTime()
  checkServerParameters(parameters, {maxLifetimeSeconds, clockSkewSeconds, nowMs})
  gatekeeperDomainSeparator(chainId, registrar) // validates chainId and registrar once, then cached

  const requestHeader = headerValue(parameters.headers, gatekeeperRequestHeader)
  const signatureHeader = headerValue(parameters.headers, gatekeeperSignatureHeader)
  if (requestHeader === undefined || signatureHeader === undefined) {
    return reject(
      'missing-auth',
      `both ${gatekeeperRequestHeader} and ${gatekeeperSignatureHeader} headers are required`,
    )
  }
  if (requestHeader === duplicated)
    return reject('malformed-request', `the ${gatekeeperRequestHeader} header was sent more than once`)
  if (signatureHeader === duplicated)
    return reject('malformed-signature', `the ${gatekeeperSignatureHeader} header was sent more than once`)

  const parsed = parseRequestHeader(requestHeader)
  if (typeof parsed === 'string') return reject('malformed-request', parsed)
  if (!isHttpMethodToken(parameters.method)) return reject('malformed-request', 'the HTTP method is not a token')

  if (!/^0x[0-9a-fA-F]{130}$/.test(signatureHeader)) {
    return reject('malformed-signature', 'the signature must be 0x followed by 130 hex digits (65 bytes)')
  }
  const v = Number.parseInt(signatureHeader.slice(130, 132), 16)
  if (v !== 27 && v !== 28) return reject('bad-signature-v', 'the signature v must be 27 or 28')
  if (BigInt(`0x${signatureHeader.slice(66, 130)}`) > secp256k1HalfOrder) {
    return reject('high-s', 'the signature s is in the upper half of the curve order (malleable form)')
  }

  if (parsed.audience.toLowerCase() !== parameters.audience.toLowerCase()) {
    return reject('wrong-audience', 'the request is addressed to another gatekeeper')
  }
  const expiryMs = Number(parsed.expiry) * 1000
  if (nowMs >= expiryMs + clockSkewSeconds * 1000) return reject('expired', 'the request has expired')
  if (expiryMs > nowMs + (maxLifetimeSeconds + clockSkewSeconds) * 1000) {
    return reject('expiry-too-far', `the request expires more than ${maxLifetimeSeconds} s from now`)
  }

  // A wrong chain id or Registrar, or a changed method, path or body, all land here: the
  // digest differs, so the recovered key is someone else's (or none).
  const digest = gatekeeperRequestDigest(chainId, registrar, {
    ...parsed,
    requestHash: gatekeeperRequestHash({method: parameters.method, path: parameters.path, body: parameters.body}),
  })
  const signature = hexToBytes(signatureHeader as Hex)
  let publicKey: Uint8Array
  try {
    publicKey = recoverUncompressedPublicKey(digest, signature)
  } catch {
    return reject('bad-signature', 'no public key can be recovered from the signature')
  }
  if (addressOfPublicKey(publicKey) !== parsed.requester.toLowerCase()) {
    return reject('bad-signature', 'the signature was not made by the requester over this request')
  }
  return {
    ok: true,
    request: parsed,
    signatureHash: `0x${keccak256Bytes(signature).toString('hex')}`,
    publicKey: toHex(publicKey),
  }
}

function reject(reason: GatekeeperRejectionReason, message: string): RejectedRequest {
  return {ok: false, reason, message}
}

const duplicated = Symbol('duplicated header')

/**
 * Case-insensitive lookup. A header sent twice (an array, or the same name in two cases)
 * is refused rather than resolved: two parsers picking different copies is how request
 * smuggling starts. Node joins unknown duplicates with ", ", which fails the format checks.
 */
function headerValue(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | typeof duplicated | undefined {
  let found: string | typeof duplicated | undefined
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() !== name) continue
    const value = headers[key]
    if (value === undefined) continue
    if (found !== undefined || typeof value !== 'string') return duplicated
    found = value
  }
  return found
}

/** Returns the fields, or a sentence saying what is malformed. */
function parseRequestHeader(header: string): GatekeeperRequestFields | string {
  if (header.length > maxRequestHeaderChars)
    return `the ${gatekeeperRequestHeader} header is longer than ${maxRequestHeaderChars} characters`
  // Node's base64url decoder skips characters it does not know; refuse them instead, and
  // refuse non-canonical encodings by re-encoding.
  if (!/^[A-Za-z0-9_-]+$/.test(header)) return `the ${gatekeeperRequestHeader} header is not base64url without padding`
  const bytes = Buffer.from(header, 'base64url')
  if (bytes.toString('base64url') !== header) return `the ${gatekeeperRequestHeader} header is not canonical base64url`

  let json: unknown
  try {
    json = JSON.parse(strictUtf8.decode(bytes))
  } catch {
    return `the ${gatekeeperRequestHeader} header is not UTF-8 JSON`
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return 'the request is not a JSON object'
  const record = json as Record<string, unknown>
  const keys = Object.keys(record)
  const unknown = keys.filter((key) => !(requestFieldNames as readonly string[]).includes(key))
  // Counted, not named: the names are the client's input and end up in logs.
  if (unknown.length > 0) return `the request has ${unknown.length} unknown field(s)`
  const missing = requestFieldNames.filter((name) => !Object.hasOwn(record, name))
  if (missing.length > 0) return `missing request fields: ${missing.join(', ')}`

  const requester = parseAddress(record.requester)
  const relationship = parseAddress(record.relationship)
  const audience = parseAddress(record.audience)
  if (requester === undefined) return 'requester is not a valid (checksummed or single-case) address'
  if (relationship === undefined) return 'relationship is not a valid (checksummed or single-case) address'
  if (audience === undefined) return 'audience is not a valid (checksummed or single-case) address'
  const {action, nonce} = record
  if (typeof action !== 'string' || !(gatekeeperActions as readonly string[]).includes(action)) {
    return `action is not one of ${gatekeeperActions.join(', ')}`
  }
  const scope = parseUint(record.scope, maxUint256)
  if (scope === undefined) return 'scope is not a uint256 as a decimal string'
  if (typeof nonce !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(nonce)) return 'nonce is not 32 bytes of hex'
  const expiry = parseUint(record.expiry, maxUint64)
  if (expiry === undefined) return 'expiry is not a uint64 as a decimal string'
  return {
    requester,
    relationship,
    action: action as GatekeeperAction,
    scope,
    nonce: nonce.toLowerCase() as Hex,
    expiry,
    audience,
  }
}

function parseAddress(value: unknown): Address | undefined {
  // strict: a mixed-case address must carry a correct EIP-55 checksum.
  if (typeof value !== 'string' || !isAddress(value, {strict: true})) return undefined
  return getAddress(value)
}

/** Decimal without sign, leading zeros or exponent, so each number has one spelling. */
function parseUint(value: unknown, max: bigint): bigint | undefined {
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]{0,77})$/.test(value)) return undefined
  const parsed = BigInt(value)
  return parsed <= max ? parsed : undefined
}

function checkServerParameters(
  parameters: VerifyGatekeeperRequestParameters,
  resolved: {maxLifetimeSeconds: number; clockSkewSeconds: number; nowMs: number},
): void {
  const problems: string[] = []
  if (!Number.isFinite(resolved.nowMs)) problems.push('now: is not a valid date')
  if (!Number.isSafeInteger(resolved.maxLifetimeSeconds) || resolved.maxLifetimeSeconds <= 0)
    problems.push('maxLifetimeSeconds: must be a positive integer')
  if (!Number.isSafeInteger(resolved.clockSkewSeconds) || resolved.clockSkewSeconds < 0)
    problems.push('clockSkewSeconds: must be a non-negative integer')
  if (!isAddress(parameters.audience, {strict: true}))
    problems.push(`audience: ${parameters.audience} is not a valid address`)
  if (problems.length > 0) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, 'The gatekeeper is misconfigured: cannot verify requests', {
      details: problems,
    })
  }
}

/**
 * The signer's uncompressed public key, by libsecp256k1 (the `secp256k1` binding; about
 * 80 µs here against 2.5 ms for the pure-JS recovery, and this runs once per request).
 * The signature's format, v and low s were checked before.
 */
function recoverUncompressedPublicKey(digest: Hash, signature: Uint8Array): Uint8Array {
  return secp256k1.ecdsaRecover(signature.subarray(0, 64), signature[64]! - 27, hexToBytes(digest), false)
}

/** The lowercase address of an uncompressed public key (no checksum: compared, not shown). */
function addressOfPublicKey(publicKey: Uint8Array): string {
  return `0x${keccak256Bytes(publicKey.subarray(1)).subarray(12).toString('hex')}`
}

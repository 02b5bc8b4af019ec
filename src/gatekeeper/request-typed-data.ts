import {
  encodeAbiParameters,
  hexToBytes,
  isAddress,
  keccak256,
  parseAbiParameters,
  stringToBytes,
  type Address,
  type Hash,
  type Hex,
  type TypedDataDomain,
} from 'viem'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {abiWord, keccak256Bytes} from './keccak.js'

/**
 * The EIP-712 message a requester signs for every HTTP request to a provider's Database
 * Gatekeeper (security promise 6): it binds who asks (requester), for which relationship,
 * what (action, scope), once (nonce), until when (expiry), on which chain and Registrar
 * (the domain) and to which gatekeeper (audience), and the HTTP request itself
 * (requestHash), so a signature lifted from one request is worthless for any other.
 */

/** Header carrying base64url(JSON) of the signed fields, requestHash excluded. */
export const gatekeeperRequestHeader = 'medrec-request'
/** Header carrying the 65-byte signature as 0x + 130 hex digits (r ‖ s ‖ v, v ∈ {27, 28}). */
export const gatekeeperSignatureHeader = 'medrec-signature'

export const gatekeeperActions = ['read', 'subscribe'] as const
export type GatekeeperAction = (typeof gatekeeperActions)[number]

/** EIP-712 types: the signed message, field by field in its signed order. */
export const gatekeeperRequestTypes = {
  GatekeeperRequest: parseAbiParameters([
    'address requester, address relationship, string action, uint256 scope',
    'bytes32 nonce, uint64 expiry, address audience, bytes32 requestHash',
  ]),
} as const

/** EIP-712 encodeType of the message, derived from gatekeeperRequestTypes so the two cannot differ. */
export const gatekeeperRequestTypeString = `GatekeeperRequest(${gatekeeperRequestTypes.GatekeeperRequest.map(
  (field) => `${field.type} ${field.name}`,
).join(',')})`
export const gatekeeperRequestTypeHash: Hash = keccak256(stringToBytes(gatekeeperRequestTypeString))

/** The fields carried in the medrec-request header: everything signed except requestHash. */
export type GatekeeperRequestFields = {
  requester: Address
  relationship: Address
  action: GatekeeperAction
  scope: bigint
  /** 32 random bytes, lowercase hex. */
  nonce: Hex
  /** Unix time in seconds after which the request is refused. */
  expiry: bigint
  /** The receiving gatekeeper's provider account. */
  audience: Address
}

/** The full signed message. */
export type GatekeeperRequestMessage = GatekeeperRequestFields & {requestHash: Hash}

/** The gatekeeper domain on a given chain; the Registrar is the verifying contract. */
export function gatekeeperRequestDomain(chainId: number, registrar: Address): TypedDataDomain {
  return {name: 'MedRec Gatekeeper', version: '1', chainId, verifyingContract: registrar}
}

/** An HTTP method as RFC 9110 allows it (a token); anything else never reaches a handler. */
export function isHttpMethodToken(method: string): boolean {
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(method)
}

/**
 * Binds the signature to the HTTP request as sent:
 * keccak256(abi.encode(keccak256(METHOD), keccak256(path with query), keccak256(body))).
 * Hashing each part first keeps the encoding unambiguous whatever the lengths.
 */
export function gatekeeperRequestHash({method, path, body}: {method: string; path: string; body: Uint8Array}): Hash {
  if (!isHttpMethodToken(method)) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `"${method}" is not an HTTP method`)
  }
  // Three static bytes32 words: abi.encode is their concatenation. Tokens are ASCII, so
  // toUpperCase cannot change the length or meaning.
  const methodHash = keccak256Bytes(Buffer.from(method.toUpperCase(), 'utf8'))
  const pathHash = keccak256Bytes(Buffer.from(path, 'utf8'))
  return `0x${keccak256Bytes(methodHash, pathHash, keccak256Bytes(body)).toString('hex')}`
}

const domainTypeHash = keccak256(
  stringToBytes('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'),
)
const domainNameHash = keccak256(stringToBytes('MedRec Gatekeeper'))
const domainVersionHash = keccak256(stringToBytes('1'))
const actionHashes: Record<GatekeeperAction, Hash> = {
  read: keccak256(stringToBytes('read')),
  subscribe: keccak256(stringToBytes('subscribe')),
}

// A gatekeeper serves one chain and one Registrar, so this holds one entry in practice;
// the cap only keeps a misuse (a new registrar per call) from growing it without end.
const domainSeparatorCache = new Map<string, Hash>()
const domainSeparatorCacheLimit = 16

/** The EIP-712 domain separator, computed once per (chainId, registrar). */
export function gatekeeperDomainSeparator(chainId: number, registrar: Address): Hash {
  // Keyed by the exact spelling, so a wrongly checksummed spelling of a cached registrar
  // is still validated (and refused) rather than served from the cache.
  const key = `${chainId}:${registrar}`
  const cached = domainSeparatorCache.get(key)
  if (cached !== undefined) return cached
  if (!Number.isSafeInteger(chainId) || chainId <= 0) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `chain id ${chainId} is not a positive integer`)
  }
  if (!isAddress(registrar, {strict: true})) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `registrar ${registrar} is not a valid address`)
  }
  const separator = keccak256(
    encodeAbiParameters(
      [{type: 'bytes32'}, {type: 'bytes32'}, {type: 'bytes32'}, {type: 'uint256'}, {type: 'address'}],
      [domainTypeHash, domainNameHash, domainVersionHash, BigInt(chainId), registrar],
    ),
  )
  if (domainSeparatorCache.size >= domainSeparatorCacheLimit) domainSeparatorCache.clear()
  domainSeparatorCache.set(key, separator)
  return separator
}

/**
 * The EIP-712 digest of a request, written out rather than through viem's generic
 * hashTypedData so the server pays neither for type-string discovery nor for the domain
 * on every request. A test pins it to hashTypedData.
 */
export function gatekeeperRequestDigest(chainId: number, registrar: Address, message: GatekeeperRequestMessage): Hash {
  // Every member is a static type, so abi.encode is the concatenation of 32-byte words.
  const structHash = keccak256Bytes(
    typeHashBytes,
    abiWord(message.requester),
    abiWord(message.relationship),
    actionHashBytes[message.action],
    abiWord(message.scope.toString(16)),
    abiWord(message.nonce),
    abiWord(message.expiry.toString(16)),
    abiWord(message.audience),
    abiWord(message.requestHash),
  )
  const domainSeparator = hexToBytes(gatekeeperDomainSeparator(chainId, registrar))
  return `0x${keccak256Bytes(eip712Prefix, domainSeparator, structHash).toString('hex')}`
}

const typeHashBytes = hexToBytes(gatekeeperRequestTypeHash)
const actionHashBytes: Record<GatekeeperAction, Uint8Array> = {
  read: hexToBytes(actionHashes.read),
  subscribe: hexToBytes(actionHashes.subscribe),
}
const eip712Prefix = Uint8Array.of(0x19, 0x01)

import {parseAbiParameters, type Address, type TypedDataDomain} from 'viem'

/**
 * EIP-712 types the Registrar verifies, each written as the parameter list its *_TYPEHASH
 * constant hashes (Registrar.sol), so the two read alike and field order cannot drift.
 */
export const medrecConsentTypes = {
  /** The patient consents to enrolment at `provider` under `enrolmentRef`. */
  PatientRegistration: parseAbiParameters(
    'bytes32 provider, bytes32 enrolmentRef, address account, uint256 nonce, uint256 deadline',
  ),
  RelationshipAcceptance: parseAbiParameters('address relationship, uint32 round, uint256 nonce, uint256 deadline'),
  /** The new key completes a pending recovery of patient `id` to itself. */
  PatientRecovery: parseAbiParameters('bytes32 id, address newAccount, uint256 nonce, uint256 deadline'),
} as const

/** The Registrar's EIP-712 domain on a given chain. */
export function medrecConsentDomain(chainId: number, registrar: Address): TypedDataDomain {
  return {name: 'MedRec Registrar', version: '1', chainId, verifyingContract: registrar}
}

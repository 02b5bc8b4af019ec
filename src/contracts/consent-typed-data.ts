import type {Address, TypedDataDomain} from 'viem'

/** EIP-712 types the Registrar verifies; field order must match its *_TYPEHASH constants. */
export const medrecConsentTypes = {
  /** The patient consents to enrolment at `provider` under `enrolmentRef`. */
  PatientRegistration: [
    {name: 'provider', type: 'bytes32'},
    {name: 'enrolmentRef', type: 'bytes32'},
    {name: 'account', type: 'address'},
    {name: 'nonce', type: 'uint256'},
    {name: 'deadline', type: 'uint256'},
  ],
  RelationshipAcceptance: [
    {name: 'relationship', type: 'address'},
    {name: 'round', type: 'uint32'},
    {name: 'nonce', type: 'uint256'},
    {name: 'deadline', type: 'uint256'},
  ],
  /** The new key completes a pending recovery of patient `id` to itself. */
  PatientRecovery: [
    {name: 'id', type: 'bytes32'},
    {name: 'newAccount', type: 'address'},
    {name: 'nonce', type: 'uint256'},
    {name: 'deadline', type: 'uint256'},
  ],
} as const

/** The Registrar's EIP-712 domain on a given chain. */
export function medrecConsentDomain(chainId: number, registrar: Address): TypedDataDomain {
  return {name: 'MedRec Registrar', version: '1', chainId, verifyingContract: registrar}
}

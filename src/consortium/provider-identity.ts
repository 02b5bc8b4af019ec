import {keccak256, stringToBytes, type Hex} from 'viem'

/**
 * A provider's on-chain identity, derived from its name in the consortium. Provider
 * names are public (they are organisations, not patients), so a plain hash is fine here;
 * patients' identities use the keyed hash in contracts/derive-identity.ts instead.
 */
export function providerIdentity(name: string): Hex {
  return keccak256(stringToBytes(`medrec:provider:${name}`))
}

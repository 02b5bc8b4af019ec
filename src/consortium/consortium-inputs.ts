import {isHex, type Hex} from 'viem'
import {assertNodeName} from '../config/network-config.js'
import {providerIdentity} from './provider-identity.js'

const identityPattern = /^0x[0-9a-fA-F]{64}$/

/** A provider or other steward on the command line: a provider's name, or any steward's 0x identity. */
export function parseStewardReference(reference: string): {id: Hex; name: string | null} {
  const lower = reference.toLowerCase()
  if (identityPattern.test(lower) && isHex(lower)) return {id: lower, name: null}
  assertNodeName(reference, 'provider')
  return {id: providerIdentity(reference), name: reference}
}

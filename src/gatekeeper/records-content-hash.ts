import type {Hex} from 'viem'

import {canonicalJson} from '../encoding/canonical-json.js'
import {keccak256Bytes} from './keccak.js'

/**
 * The content hash a steward puts in a relationship's pointer (Relationship.contentHash),
 * so the patient can check that what the gatekeeper serves is what the steward committed:
 *
 *   keccak256( UTF-8( canonicalJson( resources ) ) )
 *
 * where `resources` is the array of every FHIR resource the steward holds for that
 * patient (each as its JSON document, with its own resourceType and id), sorted by
 * resourceType, then id (UTF-16 code-unit order, as JavaScript compares strings; FHIR
 * types and ids are ASCII), and canonicalJson is RFC 8785 (canonical-json.ts). Store
 * metadata (version, updatedAt, seq) is not part of it: the hash depends on the records
 * alone, so a steward can compute it from the bundle it imports.
 *
 * A steward that changes the records sets the new hash with `updatePointer`; the zero
 * hash means "not committed" and is never checked.
 */
export function recordsContentHash(resources: readonly Readonly<Record<string, unknown>>[]): Hex {
  const sorted = [...resources].sort(
    (a, b) => compare(String(a.resourceType), String(b.resourceType)) || compare(String(a.id), String(b.id)),
  )
  return `0x${keccak256Bytes(Buffer.from(canonicalJson(sorted), 'utf8')).toString('hex')}`
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

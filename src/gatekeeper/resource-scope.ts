import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'

/**
 * What a viewer's on-chain `scope` bitmask means to a gatekeeper: one bit per kind of
 * FHIR resource, and the top bit for every other type. Registrar.canAccess grants a
 * request only when the viewer's scope covers every bit asked for, so a viewer granted
 * Observation and Condition reads those and nothing else. Patients and stewards read
 * everything in their relationship.
 */
export const resourceScopeBits: Readonly<Record<string, bigint>> = {
  Patient: 1n << 0n,
  Observation: 1n << 1n,
  Condition: 1n << 2n,
  MedicationRequest: 1n << 3n,
  MedicationStatement: 1n << 3n,
  AllergyIntolerance: 1n << 4n,
  Immunization: 1n << 5n,
  Encounter: 1n << 6n,
  Procedure: 1n << 7n,
  DiagnosticReport: 1n << 8n,
  DocumentReference: 1n << 9n,
}

/** The bit for resource types without a bit of their own. */
export const otherResourcesBit = 1n << 255n

/** Every bit: what `--scope all` grants and a request for every record asks for. */
export const allResourcesScope = Object.values(resourceScopeBits).reduce((a, b) => a | b, otherResourcesBit)

/** The bit a resource type needs. */
export function scopeBitOf(resourceType: string): bigint {
  return resourceScopeBits[resourceType] ?? otherResourcesBit
}

/** The scope a request for these resource types needs (every type when none are named). */
export function scopeForResourceTypes(resourceTypes: readonly string[] | undefined): bigint {
  if (resourceTypes === undefined || resourceTypes.length === 0) return allResourcesScope
  return resourceTypes.reduce((scope, type) => scope | scopeBitOf(type), 0n)
}

/** True when `scope` covers a resource of this type. */
export function scopeCovers(scope: bigint, resourceType: string): boolean {
  const bit = scopeBitOf(resourceType)
  return (scope & bit) === bit
}

/**
 * Parses a scope written by a person: `all`, resource type names separated by commas
 * (`Observation,Condition`), or a whole-number bitmask.
 */
export function parseResourceScope(text: string, flag = '--scope'): bigint {
  const trimmed = text.trim()
  if (trimmed === 'all') return allResourcesScope
  if (/^[0-9]+$/.test(trimmed)) {
    const scope = BigInt(trimmed)
    if (scope > 0n && scope < 2n ** 256n) return scope
  } else if (/^[A-Za-z]+(\s*,\s*[A-Za-z]+)*$/.test(trimmed)) {
    const names = trimmed.split(',').map((n) => n.trim())
    const unknown = names.filter((n) => resourceScopeBits[n] === undefined)
    if (unknown.length === 0) return scopeForResourceTypes(names)
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      `${flag} names resource types MedRec has no scope for: ${unknown.join(', ')}.`,
      {
        hint: `Use all, or some of: ${Object.keys(resourceScopeBits).join(', ')}.`,
      },
    )
  }
  throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${flag} "${text}" is not a scope.`, {
    hint: 'Write all, resource types such as Observation,Condition, or a bitmask below 2^256.',
  })
}

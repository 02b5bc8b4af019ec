import type {Hex} from 'viem'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {canonicalJson} from '../encoding/canonical-json.js'
import type {FhirResource, RecordQuery} from './record-store.js'

/**
 * The checks every record store makes before it builds a query, so the SQLite and the
 * PostgreSQL store accept and refuse exactly the same input. Values still travel only as
 * bound parameters; these checks make bad input fail with a clear message instead of
 * reaching the database at all.
 */

const patientPattern = /^0x[0-9a-fA-F]{64}$/

/** Longest resourceType or id a store accepts; FHIR allows 64, imports are checked for that by parseFhirBundle. */
export const maxRecordKeyLength = 256

/** Default and largest page of changesSince. */
export const defaultChangesLimit = 1000
export const maxChangesLimit = 10_000

/** A resource ready to store: its keys and its canonical JSON text. */
export type PreparedResource = {resourceType: string; resourceId: string; json: string}

/** The patient as stored: 0x + 64 lowercase hex digits. Anything else is refused. */
export function normalisePatient(patient: unknown): Hex {
  if (typeof patient !== 'string' || !patientPattern.test(patient)) {
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      `A patient is identified by 32 bytes of hex (0x + 64 digits), not ${describe(patient)}.`,
      {
        hint: "Pass the patient's on-chain identity (bytes32), e.g. from `medrec registrar show`.",
      },
    )
  }
  return patient.toLowerCase() as Hex
}

/** Checks every resource and serialises it canonically; reports every bad resource at once. */
export function prepareResources(resources: readonly FhirResource[]): PreparedResource[] {
  if (!Array.isArray(resources))
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      `Resources must be given as an array, not ${describe(resources)}.`,
    )
  const prepared: PreparedResource[] = []
  const problems: string[] = []
  resources.forEach((resource: unknown, index) => {
    const path = `resources[${index}]`
    if (typeof resource !== 'object' || resource === null || Array.isArray(resource)) {
      problems.push(`${path}: expected a FHIR resource object, got ${describe(resource)}`)
      return
    }
    const {resourceType, id} = resource as Record<string, unknown>
    const keyProblems = [checkKey(resourceType, `${path}.resourceType`), checkKey(id, `${path}.id`)].filter(
      (p) => p !== undefined,
    )
    if (keyProblems.length > 0) {
      problems.push(...keyProblems)
      return
    }
    let json: string
    try {
      json = canonicalJson(resource)
    } catch (error) {
      problems.push(`${path}: not plain JSON (${(error as Error).message})`)
      return
    }
    // PostgreSQL's jsonb cannot hold U+0000; refusing it in every store keeps them interchangeable.
    if (json.includes('\\u0000') && containsNul(resource)) {
      problems.push(`${path}: contains the character U+0000, which cannot be stored`)
      return
    }
    prepared.push({resourceType: resourceType as string, resourceId: id as string, json})
  })
  if (problems.length > 0) {
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      `${problems.length} of ${resources.length} resources cannot be stored; nothing was written.`,
      {
        details: problems,
        hint:
          'Every resource needs a string resourceType and id; ' +
          'check the input with parseFhirBundle before storing it.',
      },
    )
  }
  return prepared
}

/** A query with its patient normalised, its types checked and its limit resolved (null: no limit). */
export function prepareQuery(query: RecordQuery): {patient: Hex; resourceTypes: string[] | null; limit: number | null} {
  if (typeof query !== 'object' || query === null)
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `A record query must be an object, not ${describe(query)}.`)
  const patient = normalisePatient(query.patient)
  let resourceTypes: string[] | null = null
  if (query.resourceTypes !== undefined) {
    if (!Array.isArray(query.resourceTypes))
      throw new MedrecError(
        errorCodes.INVALID_ARGUMENT,
        `resourceTypes must be an array of strings, not ${describe(query.resourceTypes)}.`,
      )
    const problems = query.resourceTypes
      .map((type, index) => checkKey(type, `resourceTypes[${index}]`))
      .filter((p) => p !== undefined)
    if (problems.length > 0)
      throw new MedrecError(errorCodes.INVALID_ARGUMENT, 'The resource types asked for are not valid.', {
        details: problems,
      })
    resourceTypes = [...new Set(query.resourceTypes)]
  }
  const limit = query.limit === undefined ? null : checkCount(query.limit, 'limit', 1, Number.MAX_SAFE_INTEGER)
  return {patient, resourceTypes, limit}
}

/** The arguments of changesSince, checked; the limit defaults to 1000 and is at most 10,000. */
export function prepareChangesSince(after: number, limit: number | undefined): {after: number; limit: number} {
  return {
    after: checkCount(after, 'after', 0, Number.MAX_SAFE_INTEGER),
    limit: limit === undefined ? defaultChangesLimit : checkCount(limit, 'limit', 1, maxChangesLimit),
  }
}

function checkKey(value: unknown, path: string): string | undefined {
  if (typeof value !== 'string' || value.length === 0)
    return `${path}: expected a non-empty string, got ${describe(value)}`
  if (value.length > maxRecordKeyLength)
    return `${path}: ${value.length} characters long; at most ${maxRecordKeyLength}`
  if (value.includes('\u0000')) return `${path}: contains the character U+0000`
  return undefined
}

function checkCount(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      `${name} must be a whole number from ${min} to ${max}, not ${describe(value)}.`,
    )
  }
  return value
}

function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000')
  if (typeof value !== 'object' || value === null) return false
  if (Array.isArray(value)) return value.some(containsNul)
  return Object.entries(value).some(([key, member]) => key.includes('\u0000') || containsNul(member))
}

/** A short, safe description of a bad value for a message: never the whole value. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string') return value.length > 80 ? `a ${value.length}-character string` : JSON.stringify(value)
  if (typeof value === 'object') return 'an object'
  return `${typeof value} ${String(value)}`
}

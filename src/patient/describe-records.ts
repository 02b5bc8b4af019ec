import {Flags} from '@oclif/core'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {fhirResourceTypePattern} from '../gatekeeper/fhir-bundle.js'
import {resourceScopeBits} from '../gatekeeper/resource-scope.js'
import type {RecordsReport} from './patient-records.js'

/** --types: which FHIR resource types to ask for (default: all). */
export const typesFlag = Flags.string({summary: 'FHIR resource types to fetch, comma-separated (default: all).'})

/** Parses --types, refusing names that are not FHIR resource type names. */
export function parseTypes(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined
  const types = text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
  const bad = types.filter((t) => !fhirResourceTypePattern.test(t))
  if (types.length === 0 || bad.length > 0) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `--types "${text}" is not a list of FHIR resource types.`, {
      hint: `For example: ${Object.keys(resourceScopeBits).slice(0, 3).join(',')}.`,
    })
  }
  return types
}

/** Human lines for a records report: per relationship, its outcome and its records. */
export function describeRecords(report: RecordsReport): string[] {
  const lines: string[] = []
  if (report.results.length === 0) lines.push('No accepted relationships: there is nothing to fetch.')
  for (const result of report.results) {
    if (result.status !== 'ok') {
      const http = result.httpStatus ? ` (HTTP ${result.httpStatus})` : ''
      lines.push(`${result.relationship} (${result.endpoint}): ${result.status}${http}: ${result.message}`)
      continue
    }
    const summary = `block ${result.block.number}: ${result.records.length} records; ${contentNote[result.content]}`
    lines.push(`${result.relationship} (${result.endpoint}), ${summary}`)
    for (const r of result.records)
      lines.push(`  ${r.resourceType}/${r.resourceId} v${r.version}  ${summarise(r.resource)}`)
  }
  return lines
}

const contentNote = {
  verified: 'content hash verified against the chain',
  'not-set': 'no content hash on chain to check',
  'not-checked': 'content hash not checked (only some types asked for)',
} as const

function summarise(resource: Record<string, unknown>): string {
  const code = (resource.code as {text?: string} | undefined)?.text
  const value = resource.valueQuantity as {value?: number; unit?: string} | undefined
  return [code, value?.value !== undefined ? `${value.value}${value.unit ? ` ${value.unit}` : ''}` : undefined]
    .filter(Boolean)
    .join(': ')
}

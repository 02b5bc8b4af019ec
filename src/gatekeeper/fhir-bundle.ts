import {type FileHandle, open} from 'node:fs/promises'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {parseJson} from '../errors/parse-json.js'
import type {FhirResource} from './record-store.js'

/**
 * What a provider imports into its gatekeeper: a FHIR R4 Bundle of resources, or one
 * resource, as JSON. Everything is checked before anything is stored, and every problem
 * is reported at once with its path (`entry[3].resource.id`), so a file is fixed in one go.
 */

/** Limits that keep one import from exhausting the gatekeeper's memory or stack. */
export const fhirImportLimits = {maxEntries: 10_000, maxDepth: 32, maxFileBytes: 50 * 1024 * 1024}

/** FHIR R4: a resource type is a capitalised name; an id is 1–64 of A-Z a-z 0-9 - and . */
export const fhirResourceTypePattern = /^[A-Z][A-Za-z]{1,63}$/
const idPattern = /^[A-Za-z0-9\-.]{1,64}$/

/** At most this many problems are listed; the message still gives the total. */
const maxListedProblems = 100

/** The resources in a parsed FHIR Bundle (or the one resource given); `source` names the input in messages. */
export function parseFhirBundle(json: unknown, source: string): FhirResource[] {
  const problems: string[] = []
  const resources: FhirResource[] = []
  if (!isObject(json)) {
    problems.push(`(root): expected a FHIR Bundle or resource (a JSON object), got ${describe(json)}`)
  } else if (json.resourceType === 'Bundle') {
    collectEntries(json, problems, resources)
  } else {
    const resource = checkResource(json, '', problems)
    if (resource) resources.push(resource)
  }
  if (problems.length > 0) {
    const listed = problems.slice(0, maxListedProblems)
    if (problems.length > listed.length) listed.push(`… and ${problems.length - listed.length} more`)
    throw new MedrecError(
      errorCodes.FHIR_INVALID,
      `${source} cannot be imported: ${problems.length} ` +
        `problem${problems.length === 1 ? '' : 's'}; nothing was imported.`,
      {
        details: listed,
        hint: 'Fix the places listed (each with its path in the JSON) and import the file again.',
      },
    )
  }
  return resources
}

/** Reads a FHIR JSON file (at most 50 MiB) and returns its resources, as parseFhirBundle does. */
export async function readFhirBundleFile(path: string): Promise<FhirResource[]> {
  const bytes = await readLimited(path, fhirImportLimits.maxFileBytes)
  let text: string
  try {
    // FHIR's JSON format is UTF-8; a byte order mark is allowed and dropped.
    text = new TextDecoder('utf-8', {fatal: true}).decode(bytes)
  } catch (error) {
    throw new MedrecError(errorCodes.FHIR_NOT_JSON, `${path} is not UTF-8 text, so it is not FHIR JSON.`, {
      hint: 'Export the resources as FHIR JSON (UTF-8); XML and other encodings are not imported.',
      cause: error,
    })
  }
  const json = parseJson(text, (cause) => {
    // JSON.parse's message may quote the text around the error, i.e. patient data; the
    // location comes from our own scan instead, and the message never shows content.
    const location = locateJsonSyntaxError(text)
    const where = location ? ` (line ${location.line}, column ${location.column}: ${location.problem})` : ''
    return new MedrecError(errorCodes.FHIR_NOT_JSON, `${path} is not valid JSON${where}.`, {
      hint: 'Fix the JSON syntax at that place, or export the file again; FHIR input must be JSON.',
      cause,
    })
  })
  return parseFhirBundle(json, path)
}

function collectEntries(bundle: Record<string, unknown>, problems: string[], resources: FhirResource[]): void {
  const entries = bundle.entry
  if (entries === undefined) return
  if (!Array.isArray(entries)) {
    problems.push(`entry: expected an array of entries, got ${describe(entries)}`)
    return
  }
  if (entries.length > fhirImportLimits.maxEntries) {
    // The entries are not checked one by one: the file is refused as a whole.
    problems.push(
      `entry: ${entries.length} entries; at most ${fhirImportLimits.maxEntries} ` +
        `can be imported at once (split the Bundle)`,
    )
    return
  }
  const seen = new Map<string, string>()
  entries.forEach((entry: unknown, index) => {
    const path = `entry[${index}]`
    if (!isObject(entry)) {
      problems.push(`${path}: expected an object, got ${describe(entry)}`)
      return
    }
    if (entry.resource === undefined) {
      problems.push(
        `${path}.resource: missing (an entry without a resource, e.g. a DELETE request, cannot be imported)`,
      )
      return
    }
    if (!isObject(entry.resource)) {
      problems.push(`${path}.resource: expected a FHIR resource (a JSON object), got ${describe(entry.resource)}`)
      return
    }
    const resource = checkResource(entry.resource, `${path}.resource.`, problems)
    if (!resource) return
    // The store keeps one resource per type and id; two in one file would make the
    // result depend on their order, which is almost certainly a mistake in the export.
    const key = `${resource.resourceType}/${resource.id}`
    const first = seen.get(key)
    if (first !== undefined) {
      problems.push(`${path}.resource: ${key} appears again (first at ${first}.resource)`)
      return
    }
    seen.set(key, path)
    resources.push(resource)
  })
}

/** Checks one resource; `prefix` is its path with a trailing dot ('' at the root). */
function checkResource(
  resource: Record<string, unknown>,
  prefix: string,
  problems: string[],
): FhirResource | undefined {
  const before = problems.length
  const {resourceType, id} = resource
  if (resourceType === undefined) problems.push(`${prefix}resourceType: missing`)
  else if (typeof resourceType !== 'string' || !fhirResourceTypePattern.test(resourceType)) {
    problems.push(
      `${prefix}resourceType: ${describe(resourceType)} is not a ` +
        `FHIR resource type (a capital letter, then 1–63 letters)`,
    )
  } else if (resourceType === 'Bundle') {
    problems.push(`${prefix}resourceType: a Bundle inside a Bundle is not imported; import it on its own`)
  }
  if (id === undefined) problems.push(`${prefix}id: missing; every imported resource needs an id`)
  else if (typeof id !== 'string' || !idPattern.test(id)) {
    problems.push(`${prefix}id: ${describe(id)} is not a FHIR id (1–64 of A-Z, a-z, 0-9, "-" and ".")`)
  }
  if (exceedsDepth(resource, fhirImportLimits.maxDepth)) {
    problems.push(
      `${prefix === '' ? '(root)' : prefix.slice(0, -1)}: nested more than ${fhirImportLimits.maxDepth} levels deep`,
    )
  }
  return problems.length === before ? (resource as FhirResource) : undefined
}

/** Whether objects and arrays nest deeper than `limit` (the value itself is level 1); stops early. */
function exceedsDepth(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false
  if (limit === 0) return true
  const children = Array.isArray(value) ? value : Object.values(value)
  return children.some((child) => exceedsDepth(child, limit - 1))
}

async function readLimited(path: string, maxBytes: number): Promise<Buffer> {
  let handle: FileHandle
  try {
    handle = await open(path, 'r')
  } catch (error) {
    throw fileProblem(error, path)
  }
  try {
    const stat = await handle.stat()
    if (!stat.isFile())
      throw new MedrecError(errorCodes.FILE_ACCESS, `${path} is not a regular file.`, {
        hint: 'Give the path of a FHIR JSON file.',
      })
    if (stat.size > maxBytes) throw tooLarge(path, stat.size, maxBytes)
    // Read up to one byte past the limit: the file may grow after the stat.
    const buffer = Buffer.alloc(Math.min(stat.size, maxBytes) + 1)
    let length = 0
    for (;;) {
      const {bytesRead} = await handle.read(buffer, length, buffer.length - length, null)
      if (bytesRead === 0) break
      length += bytesRead
      if (length > maxBytes) throw tooLarge(path, maxBytes, maxBytes, true)
      if (length === buffer.length) break
    }
    return buffer.subarray(0, length)
  } catch (error) {
    throw error instanceof MedrecError ? error : fileProblem(error, path)
  } finally {
    await handle.close()
  }
}

/** `size` is exact from a stat; from a read that went past the limit it is only a lower bound. */
function tooLarge(path: string, size: number, maxBytes: number, lowerBound = false): MedrecError {
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`
  return new MedrecError(
    errorCodes.FHIR_INVALID,
    `${path} is ${lowerBound ? 'over ' : ''}${mib(size)}; at most ${mib(maxBytes)} can be imported at once.`,
    {
      hint: 'Split the Bundle into smaller files and import each.',
    },
  )
}

function fileProblem(error: unknown, path: string): unknown {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOENT')
    return new MedrecError(errorCodes.FILE_ACCESS, `No file at ${path}.`, {
      hint: 'Check the path of the FHIR file to import.',
      cause: error,
    })
  if (code === 'EISDIR')
    return new MedrecError(errorCodes.FILE_ACCESS, `${path} is a directory, not a file.`, {
      hint: 'Give the path of a FHIR JSON file.',
      cause: error,
    })
  if (code === 'EACCES' || code === 'EPERM')
    return new MedrecError(errorCodes.FILE_ACCESS, `${path} cannot be read (${code}).`, {
      hint: "Check the file's owner and permissions.",
      cause: error,
    })
  return error
}

/**
 * Where the first JSON syntax error is, found by a small scan of our own (it only runs
 * once JSON.parse has failed). Undefined if the scan finds none, e.g. for a stack
 * overflow in JSON.parse on absurd nesting.
 */
export function locateJsonSyntaxError(text: string): {line: number; column: number; problem: string} | undefined {
  const fail = (offset: number, problem: string) => {
    const before = text.slice(0, offset)
    const line = before.split('\n').length
    return {line, column: offset - before.lastIndexOf('\n'), problem}
  }
  const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
  // What may come next: a value, or (inside a container) a separator or the closing bracket.
  const stack: Array<'{' | '['> = []
  let i = 0
  let expecting: 'value' | 'key' | 'after-value' | 'colon' | 'first-key' | 'first-value' = 'value'
  const skipSpace = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++
  }
  const scanString = (): string | undefined => {
    i++
    while (i < text.length) {
      const c = text.charCodeAt(i)
      if (c === 0x22) {
        i++
        return undefined
      }
      if (c < 0x20) return 'a control character inside a string (escape it)'
      if (c === 0x5c) {
        const e = text[i + 1]
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return 'a \\u escape needs four hex digits'
          i += 6
          continue
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) return 'an invalid escape in a string'
        i += 2
        continue
      }
      i++
    }
    return 'a string that is never closed'
  }
  for (;;) {
    skipSpace()
    if (i >= text.length)
      return stack.length === 0 && expecting === 'after-value' ? undefined : fail(i, 'the text ends too early')
    const c = text[i]
    const wantsValue: boolean = expecting === 'value' || expecting === 'first-value'
    const wantsKey: boolean = expecting === 'key' || expecting === 'first-key'
    if ((c === ']' && expecting === 'first-value') || (c === '}' && expecting === 'first-key')) {
      // An empty array or object closes where its first member could have been
      stack.pop()
      i++
      expecting = 'after-value'
    } else if (c === '"' && (wantsValue || wantsKey)) {
      // A string is a value, or a property name that a colon must follow
      const problem = scanString()
      if (problem) return fail(i, problem)
      expecting = wantsKey ? 'colon' : 'after-value'
    } else if (wantsKey) {
      return fail(i, 'expected a property name in double quotes')
    } else if (wantsValue) {
      if (c === '{' || c === '[') {
        stack.push(c)
        i++
        expecting = c === '{' ? 'first-key' : 'first-value'
      } else if (text.startsWith('true', i) || text.startsWith('null', i)) {
        i += 4
        expecting = 'after-value'
      } else if (text.startsWith('false', i)) {
        i += 5
        expecting = 'after-value'
      } else {
        number.lastIndex = i
        if (!number.test(text)) return fail(i, 'expected a value')
        i = number.lastIndex
        expecting = 'after-value'
      }
    } else if (expecting === 'colon') {
      if (c !== ':') return fail(i, "expected ':' after the property name")
      i++
      expecting = 'value'
    } else {
      const top = stack.at(-1)
      if (top === undefined) return fail(i, 'unexpected text after the JSON value')
      if (c === ',') {
        i++
        expecting = top === '{' ? 'key' : 'value'
      } else if ((c === '}' && top === '{') || (c === ']' && top === '[')) {
        stack.pop()
        i++
        expecting = 'after-value'
      } else return fail(i, top === '{' ? "expected ',' or '}'" : "expected ',' or ']'")
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A short description of a bad value: its type, and short strings quoted; never a long value. */
function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string')
    return value.length <= 40 ? JSON.stringify(value) : `a ${value.length}-character string`
  if (typeof value === 'object') return 'an object'
  return `${typeof value} ${String(value)}`
}

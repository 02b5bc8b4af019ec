/**
 * Canonical JSON: object keys sorted by UTF-16 code unit (JavaScript's default sort),
 * no whitespace, numbers and strings as JSON.stringify writes them. For the JSON values
 * MedRec hashes and compares this is the JSON Canonicalization Scheme (RFC 8785), so a
 * verifier in another language can recompute audit-log hashes.
 *
 * Object properties whose value is undefined are left out, as JSON.stringify does, so
 * a value and its JSON round trip have the same canonical form. Anything that is not a
 * JSON value (functions, bigints, symbols, NaN, Infinity, class instances, undefined in
 * an array, cycles) throws a TypeError instead of being silently changed.
 */
export function canonicalJson(value: unknown): string {
  return serialise(value, 0)
}

// Deep enough for any real document (FHIR input is limited to 32 levels elsewhere); the
// limit turns a hostile or cyclic structure into an error instead of a stack overflow.
const maxDepth = 256

function serialise(value: unknown, depth: number): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${value} is not a JSON number.`)
    return JSON.stringify(value)
  }
  if (typeof value !== 'object') throw new TypeError(`A ${typeof value} is not a JSON value.`)
  if (depth >= maxDepth) throw new TypeError(`Nested deeper than ${maxDepth} levels (or cyclic).`)
  if (Array.isArray(value)) {
    const items: string[] = []
    for (const item of value) {
      if (item === undefined) throw new TypeError('undefined in an array is not a JSON value.')
      items.push(serialise(item, depth + 1))
    }
    return `[${items.join(',')}]`
  }
  const prototype = Object.getPrototypeOf(value) as unknown
  if (prototype !== Object.prototype && prototype !== null)
    throw new TypeError(`A ${value.constructor?.name ?? 'class'} instance is not a JSON value.`)
  const record = value as Record<string, unknown>
  const members: string[] = []
  for (const key of Object.keys(record).sort()) {
    const member = record[key]
    if (member === undefined) continue
    members.push(`${JSON.stringify(key)}:${serialise(member, depth + 1)}`)
  }
  return `{${members.join(',')}}`
}

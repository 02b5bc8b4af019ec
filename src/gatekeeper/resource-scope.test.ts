import {describe, expect, it} from 'vitest'

import {jsonNestingExceeds} from './json-limits.js'
import {
  allResourcesScope,
  otherResourcesBit,
  parseResourceScope,
  scopeCovers,
  scopeForResourceTypes,
} from './resource-scope.js'

describe('resource scopes', () => {
  it("maps resource types to bits, and a viewer's scope covers exactly the types granted", () => {
    const granted = parseResourceScope('Observation,Condition')
    expect(granted).toBe(6n)
    expect(scopeCovers(granted, 'Observation')).toBe(true)
    expect(scopeCovers(granted, 'Patient')).toBe(false)
    expect(scopeCovers(granted, 'Basic')).toBe(false)
    expect(scopeCovers(allResourcesScope, 'Basic')).toBe(true)
    expect(scopeForResourceTypes(['Basic'])).toBe(otherResourcesBit)
    expect(scopeForResourceTypes(undefined)).toBe(allResourcesScope)
    expect(parseResourceScope('all')).toBe(allResourcesScope)
    expect(parseResourceScope('6')).toBe(6n)
  })

  it('refuses names it has no bit for, zero, and bitmasks of 2^256 or more', () => {
    expect(() => parseResourceScope('Observations')).toThrow(/no scope for: Observations/)
    expect(() => parseResourceScope('0')).toThrow(/is not a scope/)
    expect(() => parseResourceScope((2n ** 256n).toString())).toThrow(/is not a scope/)
    expect(() => parseResourceScope('Observation;DROP')).toThrow(/is not a scope/)
  })
})

describe('jsonNestingExceeds', () => {
  const bytes = (text: string) => Buffer.from(text)
  it('counts nesting of objects and arrays, not brackets inside strings', () => {
    expect(jsonNestingExceeds(bytes('{"a":[1,{"b":[]}]}'), 4)).toBe(false)
    expect(jsonNestingExceeds(bytes('{"a":[1,{"b":[]}]}'), 3)).toBe(true)
    expect(jsonNestingExceeds(bytes(`{"s":"${'['.repeat(100)}"}`), 1)).toBe(false)
    expect(jsonNestingExceeds(bytes('{"s":"\\"[[[[[[["}'), 1)).toBe(false)
    expect(jsonNestingExceeds(bytes('['.repeat(100_000)), 8)).toBe(true)
  })
})

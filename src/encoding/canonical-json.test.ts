import {describe, expect, it} from 'vitest'

import {canonicalJson} from './canonical-json.js'

describe('canonicalJson', () => {
  it('sorts keys at every level and leaves arrays in order', () => {
    expect(canonicalJson({b: 1, a: {d: [3, {z: true, y: null}], c: 'x'}})).toBe(
      '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}',
    )
  })

  it('gives the same text for the same content in any key order', () => {
    expect(canonicalJson({resourceType: 'Patient', id: 'p', name: [{given: ['Jane'], family: 'Doe'}]})).toBe(
      canonicalJson({name: [{family: 'Doe', given: ['Jane']}], id: 'p', resourceType: 'Patient'}),
    )
  })

  it('orders keys by UTF-16 code unit and writes strings and numbers as JSON.stringify does (RFC 8785)', () => {
    // RFC 8785 section 3.2.3's sorting example, and its escaping of control characters
    expect(
      canonicalJson({
        '\u20ac': 'Euro Sign',
        '\r': 'Carriage Return',
        '\ufb33': 'Hebrew Letter Dalet With Dagesh',
        '1': 'One',
        '\ud83d\ude00': 'Emoji: Grinning Face',
        '\u0080': 'Control',
        '\u00f6': 'Latin Small Letter O With Diaeresis',
      }),
    ).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    )
    expect(canonicalJson([1e21, 0.1, -0, 1.5e-7, '\u0000"\\'])).toBe('[1e+21,0.1,0,1.5e-7,"\\u0000\\"\\\\"]')
  })

  it('leaves out undefined properties, so a value and its JSON round trip agree', () => {
    const value = {a: 1, b: undefined, c: [{d: undefined}]}
    expect(canonicalJson(value)).toBe('{"a":1,"c":[{}]}')
    expect(canonicalJson(JSON.parse(JSON.stringify(value)))).toBe(canonicalJson(value))
  })

  it('refuses what is not a JSON value instead of changing it', () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    for (const bad of [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      1n,
      () => 1,
      Symbol('s'),
      new Date(0),
      new Map(),
      [undefined],
      cyclic,
      undefined,
    ]) {
      expect(() => canonicalJson(bad), String(typeof bad)).toThrow(TypeError)
    }
  })
})

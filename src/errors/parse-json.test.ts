import {describe, expect, it} from 'vitest'

import {parseJson} from './parse-json.js'

describe('parseJson', () => {
  it('returns the parsed value and does not call invalid', () => {
    const invalid = () => new Error('must not be called')
    expect(parseJson('{"a":[1,null,"x"]}', invalid)).toEqual({a: [1, null, 'x']})
    expect(parseJson('null', invalid)).toBeNull()
  })

  it("throws the caller's error, made with the SyntaxError as its cause", () => {
    let cause: unknown
    const invalid = (c: unknown) => {
      cause = c
      return new RangeError('not JSON')
    }
    expect(() => parseJson('{"a":', invalid)).toThrow(RangeError)
    expect(cause).toBeInstanceOf(SyntaxError)
  })
})

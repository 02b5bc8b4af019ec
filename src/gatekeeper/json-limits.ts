/**
 * The deepest nesting of objects and arrays in a JSON text, found by one scan of the
 * bytes without parsing: a body nested thousands deep is refused before JSON.parse (and
 * before any signature work) can spend time or stack on it. Brackets inside strings
 * (including escaped quotes) do not count. Stops early once `limit` is exceeded.
 */
export function jsonNestingExceeds(bytes: Uint8Array, limit: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!
    if (inString) {
      if (c === 0x5c)
        i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) {
      inString = true
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true
    } else if (c === 0x7d || c === 0x5d) {
      depth--
    }
  }
  return false
}

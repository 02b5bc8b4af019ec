import {describe, expect, it} from 'vitest'

import {buildCliqueExtraData, parseCliqueExtraData, sortSigners} from './clique-extra-data.js'

const a = '0x1000000000000000000000000000000000000001'
const b = '0x2000000000000000000000000000000000000002'
const c = '0xa000000000000000000000000000000000000003'

describe('buildCliqueExtraData', () => {
  it('lays out 32 zero bytes of vanity, the signers in ascending order, and 65 zero bytes of seal', () => {
    // Given signers in no particular order
    const extra = buildCliqueExtraData([c, a, b])
    // Then the layout is vanity ‖ sorted signers ‖ seal
    expect((extra.length - 2) / 2).toBe(32 + 3 * 20 + 65)
    expect(extra.slice(2, 66)).toBe('0'.repeat(64))
    expect(extra.slice(66, 66 + 120)).toBe(a.slice(2) + b.slice(2) + c.slice(2))
    expect(extra.slice(66 + 120)).toBe('0'.repeat(130))
  })

  it('sorts by address bytes, not by checksum case', () => {
    const upper = '0xABCDEF0000000000000000000000000000000000'
    const lower = '0x0bcdef0000000000000000000000000000000000'
    expect(sortSigners([upper, lower]).map((s) => s.toLowerCase())).toEqual([lower, upper.toLowerCase()])
  })

  it('refuses duplicate signers, whatever their case', () => {
    expect(() => buildCliqueExtraData([a, b, a.toUpperCase().replace('0X', '0x')])).toThrow(/duplicate signer/)
  })

  it('refuses an empty signer set', () => {
    expect(() => buildCliqueExtraData([])).toThrow(/at least one signer/)
  })
})

describe('parseCliqueExtraData', () => {
  it('reads back the signers it built', () => {
    const {signers, problems} = parseCliqueExtraData(buildCliqueExtraData([b, a]))
    expect(problems).toEqual([])
    expect(signers.map((s) => s.toLowerCase())).toEqual([a, b])
  })

  it('refuses a length that is not 32 + 20N + 65 (geth would silently drop the partial signer)', () => {
    const good = buildCliqueExtraData([a, b])
    const truncated = good.slice(0, good.length - 2)
    expect(parseCliqueExtraData(truncated).problems[0]).toMatch(/32 \(vanity\) \+ 20 × signers \+ 65/)
    const padded = `${good}00`
    expect(parseCliqueExtraData(padded).problems).toHaveLength(1)
  })

  it('refuses an extraData with no signer at all', () => {
    expect(parseCliqueExtraData(`0x${'00'.repeat(97)}`).problems).toHaveLength(1)
  })

  it('refuses unsorted and duplicated signers', () => {
    const vanity = '00'.repeat(32)
    const seal = '00'.repeat(65)
    const unsorted = `0x${vanity}${b.slice(2)}${a.slice(2)}${seal}`
    expect(parseCliqueExtraData(unsorted).problems).toEqual([expect.stringMatching(/ascending order/)])
    const duplicated = `0x${vanity}${a.slice(2)}${a.slice(2)}${seal}`
    expect(parseCliqueExtraData(duplicated).problems).toEqual([expect.stringMatching(/twice/)])
  })

  it('refuses a non-zero genesis seal and malformed hex', () => {
    const withSeal = `${buildCliqueExtraData([a]).slice(0, -2)}01`
    expect(parseCliqueExtraData(withSeal).problems).toEqual([expect.stringMatching(/non-zero seal/)])
    expect(parseCliqueExtraData('0xzz').problems).toEqual([expect.stringMatching(/hex/)])
  })
})

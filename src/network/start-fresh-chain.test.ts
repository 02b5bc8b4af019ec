import type {Address} from 'viem'
import {describe, expect, it} from 'vitest'

import {firstBlockSigner, freshStartOrder} from './start-fresh-chain.js'

const a = '0x1000000000000000000000000000000000000001' as Address
const b = '0x7a635d0647651F37862F96D6884e10e39e4EcffE' as Address
const c = '0x7C0788bF5b16d0BcD1900C172c333f77B7C11FCE' as Address
const d = '0xF000000000000000000000000000000000000000' as Address

describe('firstBlockSigner', () => {
  it('names the signer second in address order, whose turn block 1 is (1 mod N)', () => {
    // Given signers in no particular order, checksummed (mixed case)
    // Then block 1 belongs to the second smallest address, compared as bytes, not as mixed-case text
    expect(firstBlockSigner([c, b])).toBe(c)
    expect(firstBlockSigner([d, c, a, b])).toBe(b)
    expect(firstBlockSigner([d, a, c])).toBe(c)
  })

  it('names the only signer of a one-signer chain', () => {
    expect(firstBlockSigner([d])).toBe(d)
  })
})

describe('freshStartOrder', () => {
  const nodes = [
    {name: 'sealer-1', role: 'sealer' as const, address: d},
    {name: 'sealer-2', role: 'sealer' as const, address: b},
    {name: 'sealer-3', role: 'sealer' as const, address: c},
    {name: 'rpc', role: 'rpc' as const},
  ]

  it('starts the block-1 sealer, then the keyless node, then the other sealers', () => {
    // Given sealers b < c < d, block 1 is c's: sealer-3
    expect(freshStartOrder(nodes, [d, b, c])?.map((n) => n.name)).toEqual(['sealer-3', 'rpc', 'sealer-1', 'sealer-2'])
  })

  it('has no order when the block-1 signer runs no node here', () => {
    // Given signers a < e, block 1 is e's, and no node holds e
    const e = '0x2000000000000000000000000000000000000002' as Address
    expect(freshStartOrder(nodes, [a, e])).toBeUndefined()
  })
})

import type {Hex} from 'viem'

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

/** The high-s twin of a valid signature (s' = n − s, v flipped): ecrecover accepts it, MedRec must not. */
export function malleate(signature: Hex): {highS: Hex; highSValue: Hex} {
  const r = signature.slice(2, 66)
  const s = BigInt(`0x${signature.slice(66, 130)}`)
  const v = Number.parseInt(signature.slice(130, 132), 16)
  const highS = (SECP256K1_N - s).toString(16).padStart(64, '0')
  const flipped = (v === 27 ? 28 : 27).toString(16)
  return {highS: `0x${r}${highS}${flipped}`, highSValue: `0x${highS}`}
}

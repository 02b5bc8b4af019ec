import {getAddress, type Address, type Hex} from 'viem'

/** EIP-225: 32 bytes of vanity, 20 bytes per signer, 65 bytes of seal. */
export const extraVanityBytes = 32
export const extraSealBytes = 65
const addressBytes = 20

/** Signers in the order Clique requires: ascending by address bytes, checksummed. */
export function sortSigners(signers: readonly string[]): Address[] {
  return signers
    .map((s) => getAddress(s))
    .sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0))
}

/**
 * Builds the genesis extraData for a Clique signer set. Refuses duplicates rather than
 * dropping them: geth would not notice either way.
 */
export function buildCliqueExtraData(signers: readonly string[]): Hex {
  if (signers.length === 0) throw new Error('a Clique genesis needs at least one signer')
  const sorted = sortSigners(signers)
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] === sorted[i - 1]) throw new Error(`duplicate signer ${sorted[i]}`)
  }
  const vanity = '00'.repeat(extraVanityBytes)
  const body = sorted.map((a) => a.slice(2).toLowerCase()).join('')
  const seal = '00'.repeat(extraSealBytes)
  return `0x${vanity}${body}${seal}`
}

export type ExtraDataProblem = {message: string}

/**
 * Reads the signers from a genesis extraData, checking what geth does not: the exact
 * length (geth divides and silently drops a partial signer), order and duplicates.
 */
export function parseCliqueExtraData(extraData: string): {signers: Address[]; problems: string[]} {
  const problems: string[] = []
  if (!/^0x([0-9a-fA-F]{2})*$/.test(extraData)) {
    return {signers: [], problems: ['is not 0x-prefixed hex with whole bytes']}
  }
  const byteLength = (extraData.length - 2) / 2
  const signerBytes = byteLength - extraVanityBytes - extraSealBytes
  if (signerBytes <= 0 || signerBytes % addressBytes !== 0) {
    problems.push(
      `is ${byteLength} bytes; it must be 32 (vanity) + 20 × signers + 65 (seal), ` +
        `e.g. ${extraVanityBytes + addressBytes + extraSealBytes} for one signer`,
    )
    return {signers: [], problems}
  }
  const hex = extraData.slice(2)
  const signers: Address[] = []
  for (let offset = extraVanityBytes; offset < extraVanityBytes + signerBytes; offset += addressBytes) {
    signers.push(getAddress(`0x${hex.slice(offset * 2, (offset + addressBytes) * 2)}`))
  }
  if (/[^0]/.test(hex.slice((extraVanityBytes + signerBytes) * 2)))
    problems.push('has a non-zero seal; the genesis seal must be 65 zero bytes')
  for (let i = 1; i < signers.length; i++) {
    const previous = signers[i - 1]!.toLowerCase()
    const current = signers[i]!.toLowerCase()
    if (current === previous) problems.push(`lists signer ${signers[i]} twice`)
    else if (current < previous)
      problems.push(`lists signer ${signers[i]} after ${signers[i - 1]}; signers must be in ascending order`)
  }
  return {signers, problems}
}

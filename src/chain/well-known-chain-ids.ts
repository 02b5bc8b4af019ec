import {randomInt} from 'node:crypto'

/**
 * Chain ids that belong to public networks or to popular development tools. A private
 * consortium chain that reuses one invites replayed transactions and wallets pointed at
 * the wrong network (EIP-155), so the tool refuses them unless explicitly allowed.
 */
export const wellKnownChainIds: ReadonlyMap<number, string> = new Map([
  [1, 'Ethereum mainnet'],
  [2, 'Morden (retired)'],
  [3, 'Ropsten (retired)'],
  [4, 'Rinkeby (retired)'],
  [5, 'Goerli (retired)'],
  [10, 'OP Mainnet'],
  [56, 'BNB Smart Chain'],
  [61, 'Ethereum Classic'],
  [100, 'Gnosis'],
  [137, 'Polygon PoS'],
  [250, 'Fantom'],
  [324, 'zkSync Era'],
  [1337, 'geth --dev and Ganache'],
  [8453, 'Base'],
  [17000, 'Holesky'],
  [31337, 'Hardhat and Anvil'],
  [42161, 'Arbitrum One'],
  [43114, 'Avalanche C-Chain'],
  [59144, 'Linea'],
  [560048, 'Hoodi'],
  [11155111, 'Sepolia'],
])

/** Lowest and highest chain ids `network init` and `consortium found` pick from when none is given. */
export const generatedChainIdRange = {min: 1_000_000, max: 2_000_000_000} as const

/** A random chain id in that range that belongs to no known network. */
export function pickChainId(): number {
  for (;;) {
    const id = randomInt(generatedChainIdRange.min, generatedChainIdRange.max)
    if (!wellKnownChainIds.has(id)) return id
  }
}

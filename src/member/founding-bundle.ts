import {parseEther, type Address} from 'viem'

import {wellKnownChainIds} from '../chain/well-known-chain-ids.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {describeIssues} from '../errors/zod-issues.js'
import {buildCliqueGenesis} from '../genesis/clique-genesis.js'
import {explainUnsupportedImageTag} from '../geth/geth-version.js'
import {
  bundleFormat,
  bundleNetworkSchema,
  findDuplicateCards,
  genesisDigest,
  type BundleNetwork,
  type UnsignedBundle,
} from './consortium-bundle.js'
import {encryptIdentityKey} from './identity-key-secret.js'
import type {NodeCard} from './node-card.js'

/**
 * What each founder's account holds at genesis. A founder's signer is also its provider
 * account (as in single-host mode), and any founder may be the one that deploys the contracts
 * and funds participants, so each gets what the single-host deployer gets.
 */
export const founderGenesisBalance = parseEther('1000000')

/** A founder's card and where it came from (its file), for messages. */
export type FoundingCard = {card: NodeCard; source: string}

/** Refuses a founding without founders, or with two cards for one signer, name, node or address. */
export function checkFoundingCards(founders: readonly FoundingCard[]): void {
  if (founders.length === 0) {
    throw new MedrecError(errorCodes.CONSORTIUM_NO_FOUNDERS, 'A consortium needs at least one founder.', {
      hint: "The convener is always a founder: found the consortium in the convener's own member workspace.",
    })
  }
  const duplicates = [...findDuplicateCards(founders.map(({card, source}) => ({card, where: source})))]
  if (duplicates.length > 0) {
    throw new MedrecError(errorCodes.CARD_DUPLICATE, "The founders' cards name the same provider more than once.", {
      details: duplicates,
      hint:
        "Pass each founder's card once. Two providers need different names, keys and advertised addresses; " +
        'your own card is included without --card.',
    })
  }
}

/** Checks the settings of a new consortium's network, reporting every problem at once. */
export function checkFoundingNetwork(network: BundleNetwork): BundleNetwork {
  const parsed = bundleNetworkSchema.safeParse(network)
  const details = parsed.success ? [] : describeIssues(parsed.error, 'field')
  const known = wellKnownChainIds.get(network.chainId)
  if (known !== undefined)
    details.push(`chainId: ${network.chainId} is the chain id of ${known}; choose the network's own`)
  const imageProblem = explainUnsupportedImageTag(network.image)
  if (imageProblem) details.push(`image: ${imageProblem}`)
  if (!parsed.success || details.length > 0) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, 'The options given would make an invalid network.', {
      details,
      hint: 'Correct the flags named.',
    })
  }
  return parsed.data
}

export type BuildFoundingBundleParameters = {
  network: BundleNetwork
  /** The founders, in the order the bundle lists them (the convener first). */
  founders: readonly NodeCard[]
  /** The consortium's new identity key, encrypted here to every founder. */
  identityKey: Uint8Array
  /** The convener's signer. */
  exportedBy: Address
  exportedAt: Date
}

/**
 * The founding bundle (revision 1), unsigned: a Clique genesis whose signers are the founders'
 * signers (sorted, as Clique requires) and which funds each founder's account, and the identity
 * key encrypted to each founder. Nobody's key but the founders' public keys is needed.
 */
export async function buildFoundingBundle(parameters: BuildFoundingBundleParameters): Promise<UnsignedBundle> {
  const {network, founders} = parameters
  checkFoundingCards(founders.map((card) => ({card, source: `the card of ${card.name}`})))
  const genesis = await buildCliqueGenesis({
    chainId: network.chainId,
    period: network.period,
    epoch: network.epoch,
    gasLimit: network.gasLimit,
    signers: founders.map((card) => card.signer),
    alloc: Object.fromEntries(founders.map((card) => [card.signer, founderGenesisBalance])),
  })
  return {
    medrecConsortiumBundle: bundleFormat,
    revision: 1,
    network,
    genesis,
    genesisDigest: genesisDigest(genesis),
    members: [...founders],
    joining: [],
    contracts: null,
    secrets: {identityHmacKey: encryptIdentityKey(parameters.identityKey, founders)},
    exportedBy: parameters.exportedBy,
    exportedAt: parameters.exportedAt.toISOString(),
  }
}

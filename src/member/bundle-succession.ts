import type {Address} from 'viem'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {parseCliqueExtraData} from '../genesis/clique-extra-data.js'
import {bundleSubstanceHash, type ConsortiumBundle} from './consortium-bundle.js'

/** How a verified bundle relates to the one a member holds: its first, a newer one, or the same again. */
export type BundleSuccession = 'first' | 'newer' | 'same'

/**
 * The revision rules. A member that holds a bundle accepts another only for the same network,
 * chain id and genesis; never a lower revision; and at the same revision only the same content
 * (two different bundles under one revision are two members' concurrent exports, which the
 * members must settle, not the tool). `source` names the incoming bundle in messages.
 */
export function checkBundleSuccession(
  stored: ConsortiumBundle | undefined,
  incoming: ConsortiumBundle,
  source: string,
): BundleSuccession {
  if (!stored) return 'first'
  if (stored.network.name !== incoming.network.name || stored.network.chainId !== incoming.network.chainId) {
    throw new MedrecError(
      errorCodes.BUNDLE_OTHER_CHAIN,
      `${source} is a bundle of network "${incoming.network.name}" (chain id ${incoming.network.chainId}), but \
this workspace belongs to network "${stored.network.name}" (chain id ${stored.network.chainId}).`,
      {
        hint:
          "A member workspace belongs to one consortium. Check that this is your consortium's bundle; a member of " +
          'another consortium needs a workspace of its own (`medrec member init` in a new directory).',
      },
    )
  }
  if (stored.genesisDigest !== incoming.genesisDigest) {
    throw new MedrecError(
      errorCodes.BUNDLE_GENESIS_CHANGED,
      `${source} has another genesis (${incoming.genesisDigest}) than network "${stored.network.name}" was founded \
with (${stored.genesisDigest}).`,
      {
        details: [`exported by ${incoming.exportedBy} as revision ${incoming.revision}`],
        hint:
          "A chain's genesis never changes: this bundle describes another chain under the same name. Do not use it; " +
          'tell the other members who exported it.',
      },
    )
  }
  if (incoming.revision < stored.revision) {
    throw new MedrecError(
      errorCodes.BUNDLE_REVISION_OLD,
      `${source} is revision ${incoming.revision}, older than revision ${stored.revision} which this workspace \
already holds.`,
      {hint: 'Ask a member for its latest export (`medrec consortium export`).'},
    )
  }
  if (incoming.revision === stored.revision) {
    if (bundleSubstanceHash(incoming) === bundleSubstanceHash(stored)) return 'same'
    throw new MedrecError(
      errorCodes.BUNDLE_REVISION_CONFLICT,
      `${source} is revision ${incoming.revision}, which this workspace already holds with other content.`,
      {
        details: [
          `held: exported by ${stored.exportedBy} at ${stored.exportedAt}`,
          `given: exported by ${incoming.exportedBy} at ${incoming.exportedAt}`,
        ],
        hint:
          'Two members exported the same revision with different changes. Agree on one; its exporter then ' +
          'exports it again (a higher revision), and every member imports that.',
      },
    )
  }
  return 'newer'
}

/**
 * Whose export a member trusts: one of the members it already trusts (those of its stored
 * bundle), or, for its first bundle, one of the chain's signers when known, else a founder
 * (a signer in the genesis, which the bundle's own digest and founding cards vouch for).
 * A stranger's re-signed bundle is refused either way, even if it lists the stranger as a member.
 */
export function checkBundleExporter(
  incoming: ConsortiumBundle,
  trusted: {stored?: ConsortiumBundle; chainSigners?: readonly Address[]},
  source: string,
): void {
  let trustedSigners: readonly Address[]
  let basis: string
  if (trusted.stored) {
    trustedSigners = trusted.stored.members.map((card) => card.signer)
    basis = `the members of revision ${trusted.stored.revision}, which this workspace holds`
  } else if (trusted.chainSigners) {
    trustedSigners = trusted.chainSigners
    basis = "the chain's current signers"
  } else {
    trustedSigners = parseCliqueExtraData(incoming.genesis.extraData).signers
    basis = "the founders (the genesis's signers); a first bundle must come from one of them"
  }
  if (trustedSigners.includes(incoming.exportedBy)) return
  throw new MedrecError(
    errorCodes.BUNDLE_SIGNER_NOT_MEMBER,
    `${source} was exported by ${incoming.exportedBy}, which is not a member this workspace trusts.`,
    {
      details: [`trusted exporters: ${basis}: ${trustedSigners.join(', ')}`],
      hint: 'Only a member may export the consortium bundle. Ask one of the members listed for its export.',
    },
  )
}

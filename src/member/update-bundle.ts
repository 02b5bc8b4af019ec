import type {Address} from 'viem'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {describeIssues} from '../errors/zod-issues.js'
import {
  bundleContractsSchema,
  findDuplicateCards,
  type BundleContent,
  type BundleContracts,
  type ConsortiumBundle,
  type UnsignedBundle,
} from './consortium-bundle.js'
import {encryptIdentityKey} from './identity-key-secret.js'
import type {NodeCard} from './node-card.js'

/** One change to a consortium bundle, as a member makes it before exporting. */
export type BundleChange =
  /** The contracts one member deployed (its code hashes read from the chain). */
  | {type: 'contracts'; contracts: BundleContracts}
  /** A provider proposed for admission: its node may start and sync before it is admitted. */
  | {type: 'propose'; card: NodeCard}
  /** A proposal withdrawn before admission. */
  | {type: 'withdraw'; signer: Address}
  /** A joiner admitted: it becomes a member and gets the identity key, encrypted to it. */
  | {type: 'admit'; signer: Address; identityKey: Uint8Array}
  /** A member removed; it keeps what it already decrypted, but is sent nothing new. */
  | {type: 'remove'; signer: Address}

/**
 * Applies one change to what a bundle says; revision, exporter and signature are set when the
 * result is exported (prepareBundleExport). Refuses a change that makes no sense for this
 * bundle (admitting someone not proposed, removing the last member, …) with nothing changed.
 */
export function updateBundle<B extends BundleContent>(bundle: B, change: BundleChange): B {
  switch (change.type) {
    case 'contracts': {
      const parsed = bundleContractsSchema.safeParse(change.contracts)
      if (!parsed.success || Object.keys(change.contracts).length === 0) {
        throw new MedrecError(errorCodes.INVALID_ARGUMENT, 'The contracts to list in the bundle are not valid.', {
          details: parsed.success ? ['no contract given'] : describeIssues(parsed.error),
        })
      }
      return {...bundle, contracts: parsed.data}
    }
    case 'propose': {
      const cards = [
        ...bundle.members.map((card, index) => ({card, where: `members[${index}] (${card.name})`})),
        ...bundle.joining.map((card, index) => ({card, where: `joining[${index}] (${card.name})`})),
        {card: change.card, where: `the card of ${change.card.name}`},
      ]
      const duplicates = [...findDuplicateCards(cards)]
      if (duplicates.length > 0) {
        throw new MedrecError(
          errorCodes.CARD_DUPLICATE,
          `${change.card.name} cannot be proposed: its card names a member or joiner again.`,
          {details: duplicates, hint: 'A joiner needs its own name, keys and advertised address.'},
        )
      }
      return {...bundle, joining: [...bundle.joining, change.card]}
    }
    case 'withdraw':
      return {...bundle, joining: without(bundle.joining, change.signer, 'withdrawn', 'joining')}
    case 'admit': {
      const card = bundle.joining.find((c) => c.signer === change.signer)
      if (!card) throw notListed(change.signer, 'admitted', 'joining')
      return {
        ...bundle,
        members: [...bundle.members, card],
        joining: bundle.joining.filter((c) => c !== card),
        secrets: {
          ...bundle.secrets,
          identityHmacKey: {...bundle.secrets.identityHmacKey, ...encryptIdentityKey(change.identityKey, [card])},
        },
      }
    }
    case 'remove': {
      const members = without(bundle.members, change.signer, 'removed', 'members')
      if (members.length === 0) {
        throw new MedrecError(errorCodes.CONSORTIUM_NO_FOUNDERS, 'The last member of a consortium cannot be removed.', {
          hint: 'A consortium needs at least one member to seal its chain.',
        })
      }
      const {[change.signer]: _removed, ...identityHmacKey} = bundle.secrets.identityHmacKey
      return {...bundle, members, secrets: {...bundle.secrets, identityHmacKey}}
    }
  }
}

function without(cards: readonly NodeCard[], signer: Address, what: string, list: string): NodeCard[] {
  if (!cards.some((card) => card.signer === signer)) throw notListed(signer, what, list)
  return cards.filter((card) => card.signer !== signer)
}

function notListed(signer: Address, what: string, list: string): MedrecError {
  return new MedrecError(
    errorCodes.INVALID_ARGUMENT,
    `${signer} cannot be ${what}: the bundle has no card for it \
in ${list}.`,
  )
}

/**
 * The next revision of a stored bundle with `changes` applied, exported by `exportedBy` at
 * `exportedAt`, ready to sign. Changes apply in order; any refused one leaves nothing changed.
 */
export function prepareBundleExport(
  stored: ConsortiumBundle,
  options: {changes?: readonly BundleChange[]; exportedBy: Address; exportedAt: Date},
): UnsignedBundle {
  const {signature: _signature, ...unsigned} = stored
  let next: UnsignedBundle = unsigned
  for (const change of options.changes ?? []) next = updateBundle(next, change)
  if (!next.members.some((card) => card.signer === options.exportedBy)) {
    throw new MedrecError(
      errorCodes.BUNDLE_SIGNER_NOT_MEMBER,
      `${options.exportedBy} cannot export this bundle: it is not one of its members.`,
      {hint: 'Only a member may export the consortium bundle; a joiner waits until it is admitted.'},
    )
  }
  return {
    ...next,
    revision: stored.revision + 1,
    exportedBy: options.exportedBy,
    exportedAt: options.exportedAt.toISOString(),
  }
}

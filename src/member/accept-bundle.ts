import type {Address, Hex} from 'viem'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {findIdentityKey, writeIdentityKey} from '../workspace/identity-key.js'
import {writeFileAtomically} from '../workspace/network-files.js'
import {checkBundleExporter, checkBundleSuccession, type BundleSuccession} from './bundle-succession.js'
import {bundleContentHash, bundleFiles, type ConsortiumBundle} from './consortium-bundle.js'
import {decryptIdentityKey} from './identity-key-secret.js'
import {readStoredBundle, unlockMemberKey, type LoadedMember} from './load-member.js'
import {updateMemberState, type MemberState} from './member-state.js'
import type {VerifiedContract} from './verify-bundle-contracts.js'

export type AcceptBundleResult = {
  succession: BundleSuccession
  /** This member's place in the bundle. */
  role: 'member' | 'joining'
  /** What became of the identity key: decrypted and written now, already here (and equal), or none for a joiner. */
  identityKey: 'written' | 'kept' | 'none'
  /** The contracts the bundle lists; trusted only once checked on this member's own node. */
  contracts: {name: string; address: Address; codeHash: Hex; trusted: boolean}[]
}

/**
 * Takes a verified bundle into this member workspace: checks it against the bundle held
 * (same chain and genesis, revision rules), that its exporter is trusted, that it lists this
 * member with this workspace's own keys, and that the identity key it holds for this member
 * decrypts and matches any already here. Only then does it write: the identity key (if new),
 * consortium.bundle.json and member-state.json. A refused bundle writes nothing.
 */
export async function acceptBundle(
  member: LoadedMember,
  incoming: ConsortiumBundle,
  source: string,
  options: {
    privateKey?: Hex
    chainSigners?: readonly Address[]
    now?: Date
    /** Contracts of this bundle whose code this member has just checked on its own node. */
    verifiedContracts?: readonly VerifiedContract[]
  } = {},
): Promise<AcceptBundleResult> {
  const stored = await readStoredBundle(member)
  const succession = checkBundleSuccession(stored, incoming, source)
  checkBundleExporter(incoming, {stored, chainSigners: options.chainSigners}, source)

  const asMember = incoming.members.find((card) => card.signer === member.signer)
  const own = asMember ?? incoming.joining.find((card) => card.signer === member.signer)
  if (!own) {
    throw new MedrecError(
      errorCodes.BUNDLE_NOT_FOR_MEMBER,
      `${source} does not list this member (${member.config.name}, ${member.signer}) as a member or a joiner.`,
      {
        details: [`members: ${incoming.members.map((card) => card.name).join(', ')}`],
        hint:
          'Give a member your card (`medrec member card`) so that it proposes you; import the bundle it exports ' +
          'after that.',
      },
    )
  }
  const mismatches = [
    own.name !== member.config.name && `name: the bundle says ${own.name}, medrec-member.yaml ${member.config.name}`,
    own.enode !== member.enode &&
      `node key: the bundle lists node ${own.enode.slice(0, 16)}…, this workspace's \
node key is ${member.enode.slice(0, 16)}…`,
  ].filter((m): m is string => typeof m === 'string')
  if (mismatches.length > 0) {
    throw new MedrecError(
      errorCodes.BUNDLE_NOT_FOR_MEMBER,
      `${source} lists signer ${member.signer} with another card than this workspace's.`,
      {
        details: mismatches,
        hint:
          'Import it in the workspace the card came from; if its node key was replaced, send the consortium ' +
          'the new card.',
      },
    )
  }

  let identityKey: AcceptBundleResult['identityKey'] = 'none'
  let decrypted: Uint8Array | undefined
  if (asMember) {
    const privateKey = options.privateKey ?? (await unlockMemberKey(member))
    decrypted = decryptIdentityKey(incoming, member.signer, privateKey, source)
    const existing = await findIdentityKey(member.paths)
    if (existing && decrypted && !existing.equals(Buffer.from(decrypted))) {
      throw new MedrecError(
        errorCodes.BUNDLE_SECRET_INVALID,
        `The identity key in ${source} differs from the one this workspace already holds.`,
        {
          hint:
            'Identities derived with another key would not match: the consortium has one identity key for good. ' +
            'Do not use this bundle; tell the other members who exported it.',
        },
      )
    }
    identityKey = existing ? 'kept' : 'written'
  }

  // Everything is checked; now write: the key first, so a bundle on disk always has its key beside it.
  if (decrypted && identityKey === 'written') await writeIdentityKey(member.paths, decrypted)
  const accepted = succession === 'same' && stored ? stored : incoming
  if (accepted === incoming) await writeFileAtomically(member.paths.bundleFile, bundleFiles.render(incoming))
  const at = (options.now ?? new Date()).toISOString()
  const bundle = {revision: accepted.revision, contentHash: bundleContentHash(accepted), importedAt: at}
  // Only the bundle's fields change, on the state as the file holds it now: a vote recorded by
  // another command since this one loaded the workspace stays.
  member.state = (await updateMemberState(member.paths, (current) => {
    const base = current ?? member.state
    const trusted = trustedAfter(base.trustedContracts, accepted, options.verifiedContracts ?? [], at)
    return {...base, bundle, trustedContracts: trusted}
  }))!
  const {trustedContracts} = member.state
  return {
    succession,
    role: asMember ? 'member' : 'joining',
    identityKey,
    contracts: Object.entries(accepted.contracts ?? {}).map(([name, entry]) => ({
      name,
      ...entry,
      trusted: trustedContracts[name] !== undefined,
    })),
  }
}

/**
 * The bundle's contracts this member trusts after accepting it: those trusted before at the same
 * address and code, and those just checked on its own node (`at` is when).
 */
function trustedAfter(
  previouslyTrusted: MemberState['trustedContracts'],
  accepted: ConsortiumBundle,
  verified: readonly VerifiedContract[],
  at: string,
): MemberState['trustedContracts'] {
  const trustedContracts: MemberState['trustedContracts'] = {}
  for (const [name, entry] of Object.entries(accepted.contracts ?? {})) {
    const before = previouslyTrusted[name]
    if (before && before.address === entry.address && before.codeHash === entry.codeHash)
      trustedContracts[name] = before
    const checked = verified.find((c) => c.name === name)
    if (checked && checked.address === entry.address && checked.codeHash === entry.codeHash)
      trustedContracts[name] = {address: entry.address, codeHash: entry.codeHash, verifiedAt: at}
  }
  return trustedContracts
}

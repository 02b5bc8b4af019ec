import type {Address} from 'viem'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {writeFileAtomically} from '../workspace/network-files.js'
import {acceptBundle} from './accept-bundle.js'
import {bundleFiles, signBundle, verifyBundle} from './consortium-bundle.js'
import {loadMember, readStoredBundle, unlockMemberKey} from './load-member.js'
import {assertWritableFile} from './member-files.js'
import {prepareBundleExport, type BundleChange} from './update-bundle.js'
import type {VerifiedContract} from './verify-bundle-contracts.js'

export type ExportBundleOptions = {
  dir: string
  /** Also write the new bundle here, to send to the others. */
  out?: string
  /** Changes to make in this revision (later steps: contracts, joiners); none just re-signs. */
  changes?: readonly BundleChange[]
  /** Contracts of the new revision whose code this member checked on its own node (its own deploy). */
  verifiedContracts?: readonly VerifiedContract[]
  now?: Date
}

export type ExportBundleResult = {
  network: string
  revision: number
  exportedBy: Address
  bundleFile: string
  out?: string
}

/**
 * Exports the consortium bundle this member holds as the next revision, with any changes,
 * signed with this member's key; stores it as this workspace's bundle and writes it to `out`.
 */
export async function exportBundle(options: ExportBundleOptions): Promise<ExportBundleResult> {
  const member = await loadMember(options.dir)
  if (options.out) await assertWritableFile(options.out)
  const stored = await readStoredBundle(member)
  if (!stored) {
    throw new MedrecError(errorCodes.BUNDLE_MISSING, `${options.dir} holds no consortium bundle to export.`, {
      hint:
        'Found a consortium (`medrec consortium found`) or import the bundle a member sent you ' +
        '(`medrec consortium import FILE`) first.',
    })
  }
  const now = options.now ?? new Date()
  const unsigned = prepareBundleExport(stored, {changes: options.changes, exportedBy: member.signer, exportedAt: now})
  const privateKey = await unlockMemberKey(member)
  const signed = await signBundle(unsigned, privateKey)
  const bundle = await verifyBundle(JSON.parse(bundleFiles.render(signed)), 'the exported bundle')
  await acceptBundle(member, bundle, 'the exported bundle', {
    privateKey,
    now,
    ...(options.verifiedContracts ? {verifiedContracts: options.verifiedContracts} : {}),
  })
  if (options.out) await writeFileAtomically(options.out, bundleFiles.render(bundle))
  return {
    network: bundle.network.name,
    revision: bundle.revision,
    exportedBy: bundle.exportedBy,
    bundleFile: member.paths.bundleFile,
    ...(options.out ? {out: options.out} : {}),
  }
}

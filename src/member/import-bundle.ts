import type {Address} from 'viem'

import {acceptBundle, type AcceptBundleResult} from './accept-bundle.js'
import {readBundleFile} from './consortium-bundle.js'
import {loadMember} from './load-member.js'

export type ImportBundleOptions = {
  dir: string
  /** The bundle file a member exported. */
  file: string
  /** The chain's current signers, when this member's node can tell them (trusted exporters of a first bundle). */
  chainSigners?: readonly Address[]
  now?: Date
}

export type ImportBundleResult = AcceptBundleResult & {
  network: string
  chainId: number
  revision: number
  genesisDigest: `0x${string}`
  exportedBy: Address
  members: {name: string; signer: Address; host: string; port: number}[]
  joining: {name: string; signer: Address; host: string; port: number}[]
  bundleFile: string
}

/**
 * Verifies a consortium bundle (its signature, every card, its genesis, its exporter, the
 * revision rules against the bundle held) and stores it in this member workspace, decrypting
 * the identity key into .medrec/keys/identity/hmac.key. Nothing is written unless all of it holds.
 */
export async function importBundle(options: ImportBundleOptions): Promise<ImportBundleResult> {
  const member = await loadMember(options.dir)
  const bundle = await readBundleFile(options.file)
  const accepted = await acceptBundle(member, bundle, options.file, {
    chainSigners: options.chainSigners,
    now: options.now,
  })
  const describe = (cards: typeof bundle.members) =>
    cards.map(({name, signer, host, port}) => ({name, signer, host, port}))
  return {
    ...accepted,
    network: bundle.network.name,
    chainId: bundle.network.chainId,
    revision: bundle.revision,
    genesisDigest: bundle.genesisDigest,
    exportedBy: bundle.exportedBy,
    members: describe(bundle.members),
    joining: describe(bundle.joining),
    bundleFile: member.paths.bundleFile,
  }
}

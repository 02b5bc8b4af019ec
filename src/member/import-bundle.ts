import type {Address} from 'viem'

import {compileMedrecContracts, packagedContractsDir} from '../contracts/compile-contracts.js'
import type {ContainerEngine} from '../docker/container-engine.js'
import {DockerodeEngine} from '../docker/dockerode-engine.js'
import {acceptBundle, type AcceptBundleResult} from './accept-bundle.js'
import {bundleFiles, type ConsortiumBundle} from './consortium-bundle.js'
import {loadMember, type LoadedMember} from './load-member.js'
import {memberCodeReader} from './member-chain.js'
import {verifyBundleContracts, type CodeReader, type VerifiedContract} from './verify-bundle-contracts.js'

export type ImportBundleOptions = {
  dir: string
  /** The bundle file a member exported. */
  file: string
  /** The chain's current signers, when this member's node can tell them (trusted exporters of a first bundle). */
  chainSigners?: readonly Address[]
  now?: Date
  /** The engine this member's node runs on (to read contract code over IPC when it runs no RPC node). */
  engine?: ContainerEngine
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
  /** Why listed contracts stay untrusted, when this member's node could not be asked. */
  contractsUnchecked?: string
}

/**
 * Verifies a consortium bundle (its signature, every card, its genesis, its exporter, the
 * revision rules against the bundle held) and stores it in this member workspace, decrypting
 * the identity key into .medrec/keys/identity/hmac.key. Nothing is written unless all of it holds.
 */
export async function importBundle(options: ImportBundleOptions): Promise<ImportBundleResult> {
  const member = await loadMember(options.dir)
  const bundle = await bundleFiles.read(options.file)
  const {verified, unchecked} = await checkListedContracts(member, bundle, options.engine)
  const accepted = await acceptBundle(member, bundle, options.file, {
    chainSigners: options.chainSigners,
    now: options.now,
    verifiedContracts: verified,
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
    ...(unchecked ? {contractsUnchecked: unchecked} : {}),
  }
}

class NodeUnreachable extends Error {}

/**
 * The bundle's contracts not yet trusted, checked on this member's own node against the
 * contracts it compiles itself. Code that differs refuses the whole bundle (nothing written);
 * a node that cannot be asked (not running) leaves them untrusted, said why.
 */
async function checkListedContracts(
  member: LoadedMember,
  bundle: ConsortiumBundle,
  engine: ContainerEngine | undefined,
): Promise<{verified: VerifiedContract[]; unchecked?: string}> {
  const listed = Object.entries(bundle.contracts ?? {}).filter(([name, entry]) => {
    const trusted = member.state.trustedContracts[name]
    return trusted?.address !== entry.address || trusted.codeHash !== entry.codeHash
  })
  if (listed.length === 0) return {verified: []}
  const reader = memberCodeReader(member, bundle.network.name, engine ?? new DockerodeEngine())
  const readCode: CodeReader = async (address) => {
    try {
      return await reader(address)
    } catch (error) {
      throw new NodeUnreachable(error instanceof Error ? error.message : String(error), {cause: error})
    }
  }
  const {artifacts} = await compileMedrecContracts({contractsDir: packagedContractsDir})
  try {
    const verified = await verifyBundleContracts({readCode, contracts: Object.fromEntries(listed), artifacts})
    return {verified}
  } catch (error) {
    if (!(error instanceof NodeUnreachable)) throw error
    return {verified: [], unchecked: `this member's node could not be asked (${error.message.split('\n')[0]})`}
  }
}

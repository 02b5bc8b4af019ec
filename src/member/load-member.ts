import type {Address, Hex} from 'viem'

import {loadMemberConfig} from '../config/load-member-config.js'
import type {MemberConfig} from '../config/member-config.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {nodeIdFromNodeKey} from '../keys/node-key.js'
import {pathExists, readKeyFile, unlockNodeKey} from '../workspace/network-files.js'
import {readKeystoreAddress} from '../workspace/network-keys.js'
import {bundleContentHash, bundleFiles, type ConsortiumBundle} from './consortium-bundle.js'
import {memberPaths, type MemberPaths} from './member-files.js'
import {newMemberState, readMemberState, type MemberState} from './member-state.js'

export type LoadedMember = {
  dir: string
  config: MemberConfig
  paths: MemberPaths
  /** The state on disk, or a new one (not yet written) if there is none. */
  state: MemberState
  /** This member's signer, from its keystore (not decrypted). */
  signer: Address
  /** This member's node id (the enode's public key), from its node key. */
  enode: string
}

/** Reads one member workspace: medrec-member.yaml, the address and node id of its own keys, its state. */
export async function loadMember(dir: string): Promise<LoadedMember> {
  const config = await loadMemberConfig(dir)
  const paths = memberPaths(dir)
  const signer = await readKeystoreAddress(paths, config.name)
  const nodeKey = await readKeyFile(paths.node(config.name).nodeKey, config.name)
  let enode: string
  try {
    enode = nodeIdFromNodeKey(nodeKey)
  } catch (error) {
    throw new MedrecError(errorCodes.KEYSTORE_INVALID, `${paths.node(config.name).nodeKey} is not a node key.`, {
      hint: 'Restore it from your backup.',
      cause: error,
    })
  }
  const state = (await readMemberState(paths)) ?? newMemberState()
  return {dir, config, paths, state, signer, enode}
}

/** Opens this member's signer key (keystore and password file). */
export async function unlockMemberKey(member: LoadedMember): Promise<Hex> {
  return (await unlockNodeKey(member.paths, member.config.name)).privateKey
}

/**
 * The bundle this workspace holds, re-verified, or undefined if it holds none. A file that is
 * not the one this workspace accepted (its hash is recorded in member-state.json) is refused.
 */
export async function readStoredBundle(member: LoadedMember): Promise<ConsortiumBundle | undefined> {
  const recorded = member.state.bundle
  if (!(await pathExists(member.paths.bundleFile))) {
    if (!recorded) return undefined
    throw new MedrecError(
      errorCodes.BUNDLE_MISSING,
      `${member.paths.bundleFile} is missing, but this workspace accepted revision ${recorded.revision} of its \
consortium's bundle.`,
      {
        hint:
          "Restore it from your backup, or import the consortium's latest export " +
          '(`medrec consortium import FILE`).',
      },
    )
  }
  const bundle = await bundleFiles.read(member.paths.bundleFile)
  if (recorded?.contentHash !== bundleContentHash(bundle)) {
    throw new MedrecError(
      errorCodes.BUNDLE_INVALID,
      `${member.paths.bundleFile} is not the bundle this workspace accepted` +
        (recorded ? ` (revision ${recorded.revision}).` : ' (it has accepted none).'),
      {
        hint:
          'The tool writes that file only after verifying a bundle. Restore it from your backup, or import the ' +
          "consortium's latest export again with `medrec consortium import FILE` after removing it.",
      },
    )
  }
  return bundle
}

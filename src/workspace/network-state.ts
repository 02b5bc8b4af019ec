import {randomUUID} from 'node:crypto'

import {z} from 'zod'

import {networkProfiles} from '../config/network-profile.js'
import type {NetworkPaths} from './network-files.js'
import {stateFile} from './state-file.js'

const networkStateSchema = z.object({
  version: z.literal(1),
  /** Random id that ties Docker resources (by label) to this directory. */
  networkId: z.string().min(8),
  /** The /24 the nodes live on, fixed at first `up` so enode URLs stay valid. */
  subnet: z.string().optional(),
  /** Each node's fixed address on that subnet. */
  ips: z.record(z.string(), z.string()).default({}),
  /** sha256 of the genesis the chain was created from; a changed genesis.json is refused. */
  genesisSha256: z.string().optional(),
  /** The profile the chain was created with (absent: standard); a changed medrec.yaml `profile` is refused. */
  profile: z.enum(networkProfiles).optional(),
  /** Set once a first `up` has completed; until then a failed `up` removes what it made. */
  firstUpCompletedAt: z.string().optional(),
  /** `geth version` results by image id, so an image is run only once to check it. */
  imageVersions: z.record(z.string(), z.string()).default({}),
  /** Deployed contract addresses by contract name. */
  contracts: z.record(z.string(), z.string()).default({}),
  /**
   * Clique votes the operator intends, by target address (lowercase): geth keeps
   * proposals in memory only, so the tool re-issues them until the signer set matches.
   */
  votes: z
    .record(z.string(), z.object({authorize: z.boolean(), sealers: z.array(z.string()), proposedAt: z.string()}))
    .default({}),
  /** Deployment transactions sent but not yet seen mined, by contract name (for resuming). */
  pendingDeployments: z.record(z.string(), z.string()).default({}),
})

export type NetworkState = z.output<typeof networkStateSchema>

/** A new state for a freshly initialised directory. */
export function newNetworkState(): NetworkState {
  return {
    version: 1,
    networkId: randomUUID(),
    ips: {},
    imageVersions: {},
    contracts: {},
    pendingDeployments: {},
    votes: {},
  }
}

/**
 * .medrec/state.json. Commands run at once in one network directory (a `network up`, a `sealer
 * propose`, a `contracts deploy`) change it with `update`, each changing only the fields it owns,
 * so they keep each other's changes.
 */
const networkStateFile = stateFile((paths: NetworkPaths) => paths.stateFile, networkStateSchema)

/** Reads .medrec/state.json; undefined when the directory was never initialised. */
export const readNetworkState = networkStateFile.read

/** Changes state.json under its lock; returns the state the file holds afterwards. */
export const updateNetworkState = networkStateFile.update

/** state.json as it is, created (with a new network id) under its lock when there is none yet. */
export async function ensureNetworkState(paths: NetworkPaths): Promise<NetworkState> {
  // Created unless another command created it first: one network id, not two.
  return (await updateNetworkState(paths, (current) => (current ? undefined : newNetworkState())))!
}

/**
 * Applies `change` to state.json as the file holds it now (a copy of the loaded state when the
 * file is gone), and sets `network.state` to what was written, so a command that goes on using
 * it sees the changes others made meanwhile. `change` edits only the fields its caller owns.
 */
export async function changeNetworkState(
  network: {paths: NetworkPaths; state: NetworkState},
  change: (state: NetworkState) => void,
): Promise<NetworkState> {
  const written = await updateNetworkState(network.paths, (current) => {
    const next = current ?? structuredClone(network.state)
    change(next)
    return next
  })
  network.state = written!
  return network.state
}

/**
 * Forgets everything that described a chain that is gone (destroyed, or a throwaway chain lost
 * with its memory): its subnet and addresses, genesis hash, first start and deployed contracts.
 * The network id, checked images and recorded votes stay.
 */
export function forgetChain(state: NetworkState): void {
  delete state.subnet
  delete state.genesisSha256
  delete state.firstUpCompletedAt
  delete state.profile
  state.ips = {}
  state.contracts = {}
  state.pendingDeployments = {}
}

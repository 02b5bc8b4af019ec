import {labelKeys, type ContainerEngine} from '../docker/container-engine.js'
import {createTarArchive} from '../docker/tar-archive.js'
import type {LoadedNetwork, NetworkIdentity} from './load-network.js'
import {resourceNames} from './network-resources.js'
import {changeNetworkState, readNetworkState, type NetworkState} from './network-state.js'
import {reconcilerDesiredOf} from './reconciler-desired.js'
import {reconcilerDataDir, reconcilerDesiredFileName, reconcilerNodeName} from './reconciler-names.js'

/**
 * Gives the network's reconciler container (if there is one) its desired state: the
 * recorded votes and the sealers, as desired.json in its volume, through the archive API.
 * Returns false when the network has no reconciler container.
 */
export async function pushReconcilerDesired(engine: ContainerEngine, network: NetworkIdentity): Promise<boolean> {
  const name = resourceNames(network.config.network.name).container(reconcilerNodeName)
  const container = await engine.inspectContainer(name)
  if (!container || container.labels[labelKeys.networkId] !== network.state.networkId) return false
  const desired = `${JSON.stringify(reconcilerDesiredOf(network), null, 2)}\n`
  await engine.putArchive(
    container.id,
    reconcilerDataDir,
    createTarArchive([{path: reconcilerDesiredFileName, content: desired, mode: 0o644}]),
  )
  return true
}

/** A change to the recorded votes: for each address (lowercase) named, its vote now, or undefined to forget it. */
export type RecordedVoteChanges = (
  votes: Readonly<NetworkState['votes']>,
) => Record<string, NetworkState['votes'][string] | undefined>

/**
 * The state.json half of saveRecordedVotes: only the addresses `changes` names change, on the
 * votes as the file holds them now; `network.state` becomes the state written.
 */
export async function changeRecordedVotes(
  network: Pick<LoadedNetwork, 'paths' | 'state'>,
  changes: RecordedVoteChanges,
): Promise<NetworkState> {
  return changeNetworkState(network, (state) => {
    for (const [address, vote] of Object.entries(changes(state.votes))) {
      if (vote) state.votes[address] = vote
      else delete state.votes[address]
    }
  })
}

/**
 * The one place recorded votes are saved: state.json, then the reconciler's copy. Call it
 * before casting or withdrawing a vote on the sealers, so that a reconciler that cast a
 * vote a moment before it was withdrawn reads the change afterwards and withdraws it too.
 * `changes` gets the votes as state.json holds them now and names the addresses it sets or
 * forgets; only those change, so votes another command records at the same time stay. The
 * reconciler gets the votes as written, and `network.state` becomes the state written.
 */
export async function saveRecordedVotes(
  engine: ContainerEngine,
  network: LoadedNetwork,
  changes: RecordedVoteChanges,
): Promise<void> {
  await changeRecordedVotes(network, changes)
  // Another command may push its copy between this write and this push: pushed again until the
  // reconciler was last given the votes state.json holds, so neither command's vote is lost there.
  for (let pushed = network.state; await pushReconcilerDesired(engine, network); pushed = network.state) {
    const now = await readNetworkState(network.paths)
    if (!now || JSON.stringify(now.votes) === JSON.stringify(pushed.votes)) return
    network.state = now
  }
}

import {labelKeys, type ContainerEngine} from '../docker/container-engine.js'
import {createTarArchive} from '../docker/tar-archive.js'
import type {LoadedNetwork, NetworkIdentity} from './load-network.js'
import {resourceNames} from './network-resources.js'
import {writeNetworkState} from './network-state.js'
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

/**
 * The one place recorded votes are saved: state.json, then the reconciler's copy. Call it
 * before casting or withdrawing a vote on the sealers, so that a reconciler that cast a
 * vote a moment before it was withdrawn reads the change afterwards and withdraws it too.
 */
export async function saveRecordedVotes(engine: ContainerEngine, network: LoadedNetwork): Promise<void> {
  await writeNetworkState(network.paths, network.state)
  await pushReconcilerDesired(engine, network)
}

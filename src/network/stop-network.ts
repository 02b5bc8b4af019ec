import {profileSettings, throwawaySelector} from '../config/network-profile.js'
import {labelKeys, type ContainerEngine} from '../docker/container-engine.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {stopReconciler} from '../reconciler/deploy-reconciler.js'
import {loadNetwork} from '../workspace/load-network.js'
import {
  findLabelledResources,
  findNetworkResources,
  removeLabelledResources,
  removeNetworkResources,
  settleAll,
} from '../workspace/network-resources.js'
import {changeNetworkState, forgetChain} from '../workspace/network-state.js'

/** geth flushes its in-memory state on SIGTERM; give it time so `up` resumes at the same height. */
const stopTimeoutSeconds = 60

export type DownNetworkResult = {
  name: string
  stopped: string[]
  alreadyStopped: string[]
  /** The vote reconciler: stopped first, so that it does not act on the nodes going down. */
  reconciler: 'stopped' | 'already-stopped' | 'missing'
}

/** Stops the vote reconciler, then every node's container, keeping containers, volumes and chain data. */
export async function downNetwork(options: {dir: string; engine: ContainerEngine}): Promise<DownNetworkResult> {
  const network = await loadNetwork(options.dir)
  const {config, state} = network
  // A promise `down` cannot keep there: it would stop the nodes and lose every block.
  if (profileSettings(config.profile).chainData === 'tmpfs') {
    throw new MedrecError(
      errorCodes.THROWAWAY_CANNOT_STOP,
      `"${config.network.name}" is a throwaway network: its chain is kept in memory, so stopping it would lose every \
block. Nothing was stopped.`,
      {
        hint:
          'Remove it with `medrec network destroy --force` (or every throwaway network with `medrec network destroy ' +
          '--all-throwaway`). A network that keeps its chain across down and up is made without --profile throwaway.',
      },
    )
  }
  await options.engine.ping()
  const reconciler = await stopReconciler(options.engine, network)
  const {containers} = await findNetworkResources(options.engine, state.networkId)
  const nodes = containers.filter((c) => c.labels[labelKeys.role] === 'sealer' || c.labels[labelKeys.role] === 'rpc')
  const running = nodes.filter((c) => c.state === 'running' || c.state === 'restarting' || c.state === 'paused')
  await settleAll(running.map((c) => options.engine.stopContainer(c.id, stopTimeoutSeconds)))
  const nodeName = (c: (typeof nodes)[number]) => c.labels[labelKeys.node] ?? c.name
  return {
    name: config.network.name,
    stopped: running.map(nodeName).sort(),
    alreadyStopped: nodes
      .filter((c) => !running.includes(c))
      .map(nodeName)
      .sort(),
    reconciler,
  }
}

export type DestroyNetworkResult = {name: string; removed: {containers: number; volumes: number; networks: number}}

/**
 * Removes every container, volume and network of this network: its chain is gone.
 * Keys and medrec.yaml stay, so `up` starts a new chain with the same sealers.
 */
export async function destroyNetwork(options: {dir: string; engine: ContainerEngine}): Promise<DestroyNetworkResult> {
  const network = await loadNetwork(options.dir)
  const {config, state} = network
  await options.engine.ping()
  const removed = await removeNetworkResources(options.engine, state.networkId)
  // Everything that described the old chain goes with it; votes recorded meanwhile stay.
  await changeNetworkState(network, forgetChain)
  return {name: config.network.name, removed}
}

/** Whether anything of this network exists on the engine (for destroy's confirmation). */
export async function networkExists(options: {dir: string; engine: ContainerEngine}): Promise<boolean> {
  const {state} = await loadNetwork(options.dir)
  const found = await findNetworkResources(options.engine, state.networkId)
  return found.containers.length + found.volumes.length + found.networks.length > 0
}

export type DestroyThrowawayResult = {
  /** Names of the throwaway networks whose objects were removed. */
  networks: string[]
  removed: {containers: number; volumes: number; networks: number}
}

/**
 * Removes every Docker object of every throwaway network on this engine (those labelled
 * org.medrec.profile=throwaway by the tool), from whatever directory they were made in; with
 * `namePrefix`, only networks whose name starts with it. Objects without that label, every
 * standard network's, are never selected. The networks' directories keep their files; `up`
 * there starts a new chain.
 */
export async function destroyThrowawayNetworks(options: {
  engine: ContainerEngine
  namePrefix?: string
}): Promise<DestroyThrowawayResult> {
  await options.engine.ping()
  const prefix = options.namePrefix ?? ''
  const ours = (labels: Record<string, string>) =>
    labels[labelKeys.profile] === 'throwaway' && (labels[labelKeys.network] ?? '').startsWith(prefix)
  const found = await findLabelledResources(options.engine, throwawaySelector)
  const names = new Set(
    [...found.containers, ...found.volumes, ...found.networks]
      .filter((o) => ours(o.labels))
      .map((o) => o.labels[labelKeys.network] ?? '?'),
  )
  const removed = await removeLabelledResources(options.engine, throwawaySelector, ours)
  return {networks: [...names].sort(), removed}
}

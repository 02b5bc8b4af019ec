import {createHash} from 'node:crypto'

import {labelKeys, type ContainerEngine, type ContainerSpec} from '../docker/container-engine.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import type {LoadedNetwork, NetworkIdentity} from '../workspace/load-network.js'
import {resourceLabels, resourceNames} from '../workspace/network-resources.js'
import {reconcilerDataDir, reconcilerNodeName} from '../workspace/reconciler-names.js'
import {pushReconcilerDesired} from '../workspace/save-recorded-votes.js'
import type {ReconcilerImage} from './build-reconciler-image.js'

const specLabel = 'org.medrec.spec'
/** The loop finishes its cycle's call on SIGTERM; it holds nothing that needs longer. */
const stopTimeoutSeconds = 10
/** Where the reconciler finds the engine's socket inside its container (dockerode's default). */
const socketInContainer = '/var/run/docker.sock'

/**
 * The engine's socket on its host, to bind into the reconciler: the path DOCKER_HOST names
 * when it is a unix socket, else the standard one (an engine reached over TCP is bound by its
 * own host's socket).
 */
export function dockerSocketOnHost(dockerHost: string | undefined = process.env.DOCKER_HOST): string {
  if (dockerHost?.startsWith('unix://')) return dockerHost.slice('unix://'.length)
  return '/var/run/docker.sock'
}

/**
 * The reconciler's container: no network at all (it talks to the engine over the socket and
 * to the sealers over their IPC, through the exec API), its own volume for desired.json and
 * its heartbeat, restarted by Docker unless stopped. Its hash (a label) tells `up` when a new
 * image or setting needs a new container.
 */
export function reconcilerContainerSpec(
  network: NetworkIdentity,
  image: Pick<ReconcilerImage, 'tag' | 'imageId'>,
  dockerSocket: string,
): ContainerSpec {
  const names = resourceNames(network.config.network.name)
  const spec: ContainerSpec = {
    name: names.container(reconcilerNodeName),
    image: image.tag,
    cmd: ['run'],
    labels: resourceLabels(network.config, network.state, {role: 'reconciler', node: reconcilerNodeName}),
    volume: {name: names.volume(reconcilerNodeName), path: reconcilerDataDir},
    binds: [{hostPath: dockerSocket, containerPath: socketInContainer}],
    restartPolicy: 'unless-stopped',
    stopTimeoutSeconds,
  }
  const hashed = [image.imageId, spec.cmd, spec.volume, spec.binds, spec.restartPolicy]
  const hash = createHash('sha256').update(JSON.stringify(hashed)).digest('hex').slice(0, 16)
  return {...spec, labels: {...spec.labels, [specLabel]: hash}}
}

export type ReconcilerDeployAction = 'created' | 'recreated' | 'started' | 'unchanged'

/**
 * Makes the network's reconciler run with this image: creates its volume and container (or
 * replaces a container whose image or settings changed), gives it the desired state, starts it.
 */
export async function ensureReconcilerRunning(
  engine: ContainerEngine,
  network: LoadedNetwork,
  image: Pick<ReconcilerImage, 'tag' | 'imageId'>,
): Promise<ReconcilerDeployAction> {
  const spec = reconcilerContainerSpec(network, image, dockerSocketOnHost())
  const volumeName = spec.volume!.name
  const volume = await engine.inspectVolume(volumeName)
  if (volume && volume.labels[labelKeys.networkId] !== network.state.networkId) {
    throw new MedrecError(
      errorCodes.NAME_CONFLICT,
      `Docker volume ${volumeName} exists and does not belong to this network.`,
      {hint: 'Remove or rename that volume, or choose another network.name in medrec.yaml.'},
    )
  }
  if (!volume) {
    const labels = resourceLabels(network.config, network.state, {node: reconcilerNodeName})
    await engine.createVolume({name: volumeName, labels})
  }
  let container = await engine.inspectContainer(spec.name)
  let action: ReconcilerDeployAction = 'unchanged'
  if (container && container.labels[labelKeys.networkId] !== network.state.networkId) {
    throw new MedrecError(
      errorCodes.NAME_CONFLICT,
      `Docker container ${spec.name} exists and does not belong to this network.`,
      {hint: 'Remove or rename that container, or choose another network.name in medrec.yaml.'},
    )
  }
  if (container && container.labels[specLabel] !== spec.labels[specLabel]) {
    await engine.removeContainer(container.id)
    container = undefined
    action = 'recreated'
  }
  const id = container?.id ?? (await engine.createContainer(spec))
  if (!container && action !== 'recreated') action = 'created'
  // Before it starts, so that its first cycle already knows the recorded votes.
  await pushReconcilerDesired(engine, network)
  if (container?.state !== 'running') {
    await engine.startContainer(id)
    if (action === 'unchanged') action = 'started'
  }
  return action
}

/** Stops the reconciler (`network down`, and `up` while it changes the nodes); Docker will not restart it. */
export async function stopReconciler(
  engine: ContainerEngine,
  network: NetworkIdentity,
): Promise<'stopped' | 'already-stopped' | 'missing'> {
  const container = await findReconcilerContainer(engine, network)
  if (!container) return 'missing'
  if (container.state !== 'running' && container.state !== 'restarting') return 'already-stopped'
  await engine.stopContainer(container.id, stopTimeoutSeconds)
  return 'stopped'
}

/** Removes the reconciler's container and volume (turned off in medrec.yaml); true if there was one. */
export async function removeReconciler(engine: ContainerEngine, network: NetworkIdentity): Promise<boolean> {
  const container = await findReconcilerContainer(engine, network)
  if (container) await engine.removeContainer(container.id)
  const volumeName = resourceNames(network.config.network.name).volume(reconcilerNodeName)
  const volume = await engine.inspectVolume(volumeName)
  if (volume?.labels[labelKeys.networkId] === network.state.networkId) await engine.removeVolume(volumeName)
  return container !== undefined
}

/** The network's reconciler container, if it has one. */
export async function findReconcilerContainer(engine: ContainerEngine, network: NetworkIdentity) {
  const container = await engine.inspectContainer(
    resourceNames(network.config.network.name).container(reconcilerNodeName),
  )
  return container?.labels[labelKeys.networkId] === network.state.networkId ? container : undefined
}

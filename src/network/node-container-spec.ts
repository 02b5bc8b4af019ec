import {createHash} from 'node:crypto'

import {profileSettings} from '../config/network-profile.js'
import type {ContainerSpec} from '../docker/container-engine.js'
import {
  gethChainDir,
  gethDataDir,
  rpcContainerPort,
  rpcNodeCommand,
  sealerCommand,
  sealerEnvironment,
} from '../geth/geth-node-command.js'
import type {LoadedNetwork} from '../workspace/load-network.js'
import {resourceLabels, resourceNames} from '../workspace/network-resources.js'
import type {NodePlan} from './init-node-volume.js'

/** The label holding a hash of what a container runs: a changed hash means `up` replaces it. */
export const specLabel = 'org.medrec.spec'
const stopTimeoutSeconds = 60
/**
 * The most chain data a throwaway node may hold in memory. A test chain's empty 1 s blocks with
 * archive state take a few MiB an hour; geth stops with a disk-full error before the host runs
 * short of memory.
 */
export const throwawayChainBytes = 1024 * 2 ** 20

/** The container a node runs as. Its hash (a label) tells `up` when a config change needs a new container. */
export function containerSpecFor(loaded: LoadedNetwork, plan: NodePlan): ContainerSpec {
  const {config, state} = loaded
  const names = resourceNames(config.network.name)
  const profile = profileSettings(config.profile)
  const cmd =
    plan.role === 'sealer'
      ? sealerCommand({
          chainId: config.network.chainId,
          ip: plan.ip,
          p2pPort: plan.p2pPort,
          signer: plan.address!,
          gasLimit: config.network.gasLimit,
        })
      : rpcNodeCommand({chainId: config.network.chainId, ip: plan.ip, p2pPort: plan.p2pPort, vhosts: config.rpc.vhosts})
  const spec: ContainerSpec = {
    name: names.container(plan.name),
    image: config.image,
    cmd,
    labels: resourceLabels(config, state, {role: plan.role, node: plan.name}),
    ...(profile.chainData === 'tmpfs'
      ? {tmpfs: {path: gethChainDir, sizeBytes: throwawayChainBytes}}
      : {volume: {name: names.volume(plan.name), path: gethDataDir}}),
    network: {name: names.network, ip: plan.ip, aliases: [plan.name]},
    publish:
      plan.role === 'rpc'
        ? [{containerPort: rpcContainerPort, hostIp: config.rpc.host, hostPort: config.rpc.port}]
        : [],
    restartPolicy: profile.restartPolicy,
    stopTimeoutSeconds,
    ...(plan.role === 'sealer' ? {env: {...sealerEnvironment}} : {}),
  }
  // The environment and a tmpfs join the hash only when set, so a standard RPC node's hash (and container)
  // stays as it was.
  const hashed = [
    spec.image,
    spec.cmd,
    spec.network,
    spec.publish,
    spec.restartPolicy,
    ...(spec.env ? [spec.env] : []),
    ...(spec.tmpfs ? [spec.tmpfs] : []),
  ]
  const hash = createHash('sha256').update(JSON.stringify(hashed)).digest('hex').slice(0, 16)
  return {...spec, labels: {...spec.labels, [specLabel]: hash}}
}

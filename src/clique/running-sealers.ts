import {labelKeys, type ContainerEngine, type ContainerInfo} from '../docker/container-engine.js'
import type {LoadedNetwork} from '../workspace/load-network.js'
import {findNetworkResources} from '../workspace/network-resources.js'

/** The running sealer containers of a network, by sealer name: those whose IPC can be asked. */
export async function runningSealers(
  engine: ContainerEngine,
  network: LoadedNetwork,
): Promise<Map<string, ContainerInfo>> {
  const {containers} = await findNetworkResources(engine, network.state.networkId)
  const running = new Map<string, ContainerInfo>()
  for (const c of containers) {
    if (c.labels[labelKeys.role] === 'sealer' && c.state === 'running') running.set(c.labels[labelKeys.node]!, c)
  }
  return running
}

import type {NetworkConfig} from '../config/network-config.js'
import {profileSettings} from '../config/network-profile.js'
import {labelKeys, type ContainerEngine, type ContainerInfo, type NodeRole} from '../docker/container-engine.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import type {NetworkState} from './network-state.js'

/**
 * Names of the Docker objects of one network: predictable for people, found by label by
 * the tool. Network and node names cannot contain "_", so it separates them: network
 * "acme" + node "lab-one" and network "acme-lab" + node "one" cannot collide.
 */
export function resourceNames(networkName: string) {
  return {
    network: `medrec-${networkName}`,
    container: (node: string) => `medrec-${networkName}_${node}`,
    initContainer: (node: string) => `medrec-${networkName}_${node}_init`,
    volume: (node: string) => `medrec-${networkName}_${node}_data`,
  }
}

/** Labels for an object of this network. */
export function resourceLabels(
  config: NetworkConfig,
  state: NetworkState,
  extra: {role?: NodeRole; node?: string} = {},
): Record<string, string> {
  return {
    [labelKeys.managed]: 'true',
    [labelKeys.network]: config.network.name,
    [labelKeys.networkId]: state.networkId,
    // org.medrec.profile=throwaway, so `network destroy --all-throwaway` finds them all.
    ...profileSettings(config.profile).labels,
    ...(extra.role ? {[labelKeys.role]: extra.role} : {}),
    ...(extra.node ? {[labelKeys.node]: extra.node} : {}),
  }
}

export type NetworkResources = {
  containers: ContainerInfo[]
  volumes: {name: string; labels: Record<string, string>}[]
  networks: {id: string; name: string; subnets: string[]; labels: Record<string, string>}[]
}

/** Every container, volume and network on the engine that carries these labels. */
export async function findLabelledResources(
  engine: ContainerEngine,
  selector: Record<string, string>,
): Promise<NetworkResources> {
  const [containers, volumes, networks] = await Promise.all([
    engine.listContainers(selector),
    engine.listVolumes(selector),
    engine.listNetworks(selector),
  ])
  return {containers, volumes, networks}
}

/** Everything on the engine that belongs to this directory's network (by its network-id label). */
export async function findNetworkResources(engine: ContainerEngine, networkId: string): Promise<NetworkResources> {
  return findLabelledResources(engine, {[labelKeys.networkId]: networkId})
}

/** Waits for every promise; then throws the first failure, if any (no sibling left running). */
export async function settleAll<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises)
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed) throw failed.reason
  return results.map((r) => (r as PromiseFulfilledResult<T>).value)
}

/**
 * Removes every container, volume and network of this network. Containers go first (a
 * volume or network in use cannot be removed); every removal is attempted, and if
 * anything is still there afterwards the error lists it.
 */
export async function removeNetworkResources(
  engine: ContainerEngine,
  networkId: string,
): Promise<{containers: number; volumes: number; networks: number}> {
  return removeLabelledResources(engine, {[labelKeys.networkId]: networkId})
}

/**
 * Removes every container, volume and network that carries these labels (and passes `keep`,
 * when given), the same way: containers first, everything attempted, leftovers named.
 */
export async function removeLabelledResources(
  engine: ContainerEngine,
  selector: Record<string, string>,
  keep: (labels: Record<string, string>) => boolean = () => true,
): Promise<{containers: number; volumes: number; networks: number}> {
  const select = async () => {
    const all = await findLabelledResources(engine, selector)
    return {
      containers: all.containers.filter((c) => keep(c.labels)),
      volumes: all.volumes.filter((v) => keep(v.labels)),
      networks: all.networks.filter((n) => keep(n.labels)),
    }
  }
  const found = await select()
  await Promise.allSettled(found.containers.map((c) => engine.removeContainer(c.id)))
  await Promise.allSettled(found.volumes.map((v) => engine.removeVolume(v.name)))
  await Promise.allSettled(found.networks.map((n) => engine.removeNetwork(n.id)))
  const left = await select()
  const leftNames = [
    ...left.containers.map((c) => `container ${c.name}`),
    ...left.volumes.map((v) => `volume ${v.name}`),
    ...left.networks.map((n) => `network ${n.name}`),
  ]
  if (leftNames.length > 0) {
    throw new MedrecError(
      errorCodes.DOCKER_OPERATION_FAILED,
      `Could not remove ${leftNames.length} Docker object(s).`,
      {
        details: leftNames,
        hint: 'Run `medrec network destroy --force` again; if it still fails, remove them with the docker CLI.',
      },
    )
  }
  return {containers: found.containers.length, volumes: found.volumes.length, networks: found.networks.length}
}

/** The IP of node `index` (0 = RPC node, then sealers) on a /24: .1 is Docker's gateway. */
export function nodeIp(subnet: string, hostNumber: number): string {
  const base = subnet.replace(/\.0\/24$/, '')
  return `${base}.${hostNumber}`
}

function ipToNumber(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0)
}

/** Whether two IPv4 CIDR blocks overlap. */
export function subnetsOverlap(a: string, b: string): boolean {
  const range = (cidr: string): [number, number] | undefined => {
    const [ip, bitsText] = cidr.split('/')
    const bits = Number(bitsText)
    if (!ip || !/^\d+\.\d+\.\d+\.\d+$/.test(ip) || !Number.isInteger(bits) || bits < 0 || bits > 32) return undefined
    const size = 2 ** (32 - bits)
    const start = Math.floor(ipToNumber(ip) / size) * size
    return [start, start + size - 1]
  }
  const ra = range(a)
  const rb = range(b)
  if (!ra || !rb) return false
  return ra[0] <= rb[1] && rb[0] <= ra[1]
}

/** The first /24 in 10.213.0.0/16 that no Docker network on the engine uses. */
export function chooseFreeSubnet(used: readonly string[]): string | undefined {
  for (let third = 0; third < 256; third++) {
    const candidate = `10.213.${third}.0/24`
    if (!used.some((u) => subnetsOverlap(u, candidate))) return candidate
  }
  return undefined
}

import {labelKeys, type ContainerEngine, type ContainerInfo, type NodeRole} from '../docker/container-engine.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'

/** Which member's part of which network: everything of it on an engine carries both labels. */
export type MemberRef = {network: string; member: string}

/**
 * Names of one member's Docker objects on its own engine. As in single-host mode, "_"
 * separates the parts (no network or member name contains it), so names cannot collide.
 */
export function memberResourceNames(ref: MemberRef) {
  const base = `medrec-${ref.network}_${ref.member}`
  return {
    sealer: base,
    sealerVolume: `${base}_data`,
    init: (node: string) => `${base}_${node}_init`,
    rpc: `${base}_rpc`,
    rpcVolume: `${base}_rpc_data`,
    watchdog: `${base}_watchdog`,
  }
}

/** The node names a member's containers carry in `org.medrec.node`. */
export const memberNodeNames = {sealer: 'sealer', rpc: 'rpc', watchdog: 'watchdog'} as const

export function memberLabels(ref: MemberRef, extra: {role?: NodeRole; node?: string} = {}): Record<string, string> {
  return {
    [labelKeys.managed]: 'true',
    [labelKeys.network]: ref.network,
    [labelKeys.member]: ref.member,
    ...(extra.role ? {[labelKeys.role]: extra.role} : {}),
    ...(extra.node ? {[labelKeys.node]: extra.node} : {}),
  }
}

/** Only this member's objects: both labels must match (another member on the same engine is left alone). */
export function memberSelector(ref: MemberRef): Record<string, string> {
  return {[labelKeys.network]: ref.network, [labelKeys.member]: ref.member}
}

export type MemberResources = {
  containers: ContainerInfo[]
  volumes: {name: string; labels: Record<string, string>}[]
}

export async function findMemberResources(engine: ContainerEngine, ref: MemberRef): Promise<MemberResources> {
  const selector = memberSelector(ref)
  const [containers, volumes] = await Promise.all([engine.listContainers(selector), engine.listVolumes(selector)])
  return {containers, volumes}
}

/**
 * Creates a volume for this member, or adopts the one it made before. A volume of that
 * name that is not this member's (another network's, or made by hand) is never used.
 */
export async function ensureMemberVolume(
  engine: ContainerEngine,
  ref: MemberRef,
  name: string,
  node: string,
): Promise<{created: boolean}> {
  const existing = await engine.inspectVolume(name)
  if (existing) {
    const ours = existing.labels[labelKeys.network] === ref.network && existing.labels[labelKeys.member] === ref.member
    if (!ours) {
      throw new MedrecError(
        errorCodes.NAME_CONFLICT,
        `Docker volume ${name} exists and is not member ${ref.member}'s of network ${ref.network}.`,
        {hint: 'Remove or rename that volume, or use another network or member name. Nothing was created.'},
      )
    }
    return {created: false}
  }
  await engine.createVolume({name, labels: memberLabels(ref, {node})})
  return {created: true}
}

/** A container of this member found by its node label (sealer or rpc), if any. */
export function memberContainer(resources: MemberResources, node: string): ContainerInfo | undefined {
  return resources.containers.find((c) => c.labels[labelKeys.node] === node && c.labels[labelKeys.role] !== 'init')
}

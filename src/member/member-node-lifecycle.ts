import type {Readable} from 'node:stream'

import {labelKeys, type ContainerEngine} from '../docker/container-engine.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {findMemberResources, memberSelector, type MemberRef} from './member-resources.js'

/** geth flushes its state on SIGTERM; give it time so the next start resumes at the same height. */
const stopTimeoutSeconds = 60

/** The roles of a member's long-running containers, in the order `down` stops them. */
const stoppedFirst = ['watchdog', 'rpc', 'sealer']

function nodeOf(labels: Record<string, string>): string {
  return labels[labelKeys.node] ?? '?'
}

/** Stops this member's node containers (sealer, RPC node), keeping them and their chain data. */
export async function stopMemberNode(
  engine: ContainerEngine,
  ref: MemberRef,
): Promise<{stopped: string[]; alreadyStopped: string[]}> {
  await engine.ping()
  const {containers} = await findMemberResources(engine, ref)
  const nodes = containers.filter((c) => stoppedFirst.includes(c.labels[labelKeys.role] ?? ''))
  const running = nodes.filter((c) => c.state === 'running' || c.state === 'restarting' || c.state === 'paused')
  // The watchdog and the RPC node first: they use the sealer, and would restart or log its loss.
  const rank = (c: (typeof nodes)[number]) => stoppedFirst.indexOf(c.labels[labelKeys.role] ?? '')
  running.sort((a, b) => rank(a) - rank(b))
  for (const c of running) await engine.stopContainer(c.id, stopTimeoutSeconds)
  return {
    stopped: running.map((c) => nodeOf(c.labels)).sort(),
    alreadyStopped: nodes
      .filter((c) => !running.includes(c))
      .map((c) => nodeOf(c.labels))
      .sort(),
  }
}

/**
 * Removes this member's containers, volumes (its chain data) and Docker network, and
 * nothing else on the engine. Its keys live in the member workspace and stay.
 */
export async function destroyMemberNode(
  engine: ContainerEngine,
  ref: MemberRef,
): Promise<{containers: number; volumes: number; networks: number}> {
  await engine.ping()
  const found = await findMemberResources(engine, ref)
  const networks = await engine.listNetworks(memberSelector(ref))
  await Promise.allSettled(found.containers.map((c) => engine.removeContainer(c.id)))
  await Promise.allSettled(found.volumes.map((v) => engine.removeVolume(v.name)))
  await Promise.allSettled(networks.map((n) => engine.removeNetwork(n.id)))
  const left = await findMemberResources(engine, ref)
  const leftNetworks = await engine.listNetworks(memberSelector(ref))
  const names = [
    ...left.containers.map((c) => `container ${c.name}`),
    ...left.volumes.map((v) => `volume ${v.name}`),
    ...leftNetworks.map((n) => `network ${n.name}`),
  ]
  if (names.length > 0) {
    throw new MedrecError(
      errorCodes.DOCKER_OPERATION_FAILED,
      `Could not remove ${names.length} Docker object(s) of member ${ref.member}.`,
      {details: names, hint: 'Run `medrec member destroy` again; if it still fails, remove them with the docker CLI.'},
    )
  }
  return {containers: found.containers.length, volumes: found.volumes.length, networks: networks.length}
}

/** The log streams of this member's sealer, RPC node or watchdog, or of all of them. */
export async function openMemberLogs(
  engine: ContainerEngine,
  ref: MemberRef,
  options: {node?: 'sealer' | 'rpc' | 'watchdog'; follow: boolean; tail?: number},
): Promise<{node: string; stream: Readable}[]> {
  await engine.ping()
  const {containers} = await findMemberResources(engine, ref)
  const nodes = containers
    .filter((c) => stoppedFirst.includes(c.labels[labelKeys.role] ?? ''))
    .filter((c) => options.node === undefined || c.labels[labelKeys.node] === options.node)
    .sort((a, b) => nodeOf(a.labels).localeCompare(nodeOf(b.labels)))
  if (nodes.length === 0) {
    throw new MedrecError(
      errorCodes.NETWORK_NOT_CREATED,
      `Member ${ref.member} has no ${options.node ?? 'node'} container on this engine.`,
      {hint: 'Run `medrec member up` first (on the engine that runs this member: DOCKER_HOST or the Docker context).'},
    )
  }
  return Promise.all(
    nodes.map(async (c) => ({
      node: nodeOf(c.labels),
      stream: await engine.logs(c.id, {
        follow: options.follow,
        ...(options.tail === undefined ? {} : {tail: options.tail}),
      }),
    })),
  )
}

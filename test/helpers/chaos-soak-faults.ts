// The chaos soak's faults: one sealer at a time is SIGKILLed (and started again, as an operator
// would: a killed container counts as stopped by hand, so Docker's restart policy leaves it
// down), restarted with `docker restart`, or cut from the Docker network and reconnected. The
// next fault waits until that sealer is back: in step with the RPC node, connected to every
// other node, and sealing again.
import {setTimeout as delay} from 'node:timers/promises'

import type Docker from 'dockerode'
import type {Address} from 'viem'

import {callJsonRpc} from '../../src/chain/json-rpc.js'
import {BlockSignerScan} from '../../src/clique/signer-of-block.js'
import type {ContainerEngine} from '../../src/docker/container-engine.js'
import {gethIpcEval} from '../../src/geth/geth-ipc.js'
import {pollUntil} from '../../src/wait/poll-until.js'

export const faultKinds = ['kill', 'restart', 'disconnect'] as const
export type FaultKind = (typeof faultKinds)[number]

export type SoakNode = {name: string; role: 'sealer' | 'rpc'; containerId: string; ip: string; address?: Address}

/** The running network the soak works on. */
export type SoakCluster = {
  engine: ContainerEngine
  /** For `docker restart`, which the tool's own engine interface does not need. */
  docker: Docker
  /** The Docker network's name. */
  dockerNetwork: string
  rpcUrl: string
  /** Every sealer, then the RPC node. */
  nodes: SoakNode[]
}

export type AppliedFault = {
  kind: FaultKind
  sealer: string
  at: string
  /** The RPC node's head when the fault began. */
  headAtFault: number
  /** How long the sealer was down or cut off (for a restart: how long `docker restart` took). */
  downMs: number
  /** What shows the fault took (see applyFault). */
  evidence: string
  /** From the heal (start, restart done, reconnect) until the sealer was back in every respect. */
  recoveredAfterMs: number
  syncedAfterMs: number
  peersAfterMs: number
  /** The first canonical block it sealed after the heal. */
  sealedBlock: number
  sealedAfterMs: number
}

/** A failure of the soak itself (not a wait that may still succeed): never retried. */
export class SoakFailure extends Error {
  readonly details: string[]
  constructor(message: string, details: string[] = []) {
    super(details.length > 0 ? `${message}\n${details.join('\n')}` : message)
    this.name = 'SoakFailure'
    this.details = details
  }
}

type NodeHead = {number: number; hash: string; peers: number}

/** A node's head and peer count: a sealer over IPC (it serves no HTTP), the RPC node over HTTP. */
export async function headOf(cluster: SoakCluster, node: SoakNode): Promise<NodeHead> {
  if (node.role === 'sealer') {
    return gethIpcEval<NodeHead>(
      cluster.engine,
      node.containerId,
      node.name,
      '(function () { var b = eth.getBlock("latest"); return {number: b.number, hash: b.hash, ' +
        'peers: admin.peers.length} })()',
    )
  }
  const [block, peers] = await Promise.all([
    callJsonRpc<{number: string; hash: string}>(cluster.rpcUrl, 'eth_getBlockByNumber', ['latest', false]),
    callJsonRpc<string>(cluster.rpcUrl, 'net_peerCount'),
  ])
  return {number: Number(block.number), hash: block.hash, peers: Number(peers)}
}

/** The hash of a node's block at `height`, or null when it has none. */
export async function hashAt(cluster: SoakCluster, node: SoakNode, height: number): Promise<string | null> {
  if (node.role === 'sealer')
    return gethIpcEval<string | null>(
      cluster.engine,
      node.containerId,
      node.name,
      `(eth.getBlock(${height}) || {hash: null}).hash`,
    )
  const block = await callJsonRpc<{hash: string} | null>(cluster.rpcUrl, 'eth_getBlockByNumber', [
    `0x${height.toString(16)}`,
    false,
  ])
  return block?.hash ?? null
}

/** What each node is doing, for a failure's message: container state, head, peers, last log lines. */
export async function describeCluster(cluster: SoakCluster, logLines = 40): Promise<string[]> {
  const lines: string[] = []
  for (const node of cluster.nodes) {
    const container = await cluster.engine.inspectContainer(node.containerId).catch(() => undefined)
    const head = await headOf(cluster, node).then(
      (h) => `head ${h.number} ${h.hash}, ${h.peers} peers`,
      (error: unknown) => `head unknown (${(error as Error).message.split('\n')[0]})`,
    )
    const state = container ? `${container.state} (restarts ${container.restartCount})` : 'container missing'
    lines.push(`== ${node.name}: ${state}; ${head}`)
    const logs = await cluster.engine.logsText(node.containerId, logLines).catch(() => '(no logs)')
    lines.push(...logs.trimEnd().split('\n'))
  }
  return lines
}

/**
 * Applies one fault to one sealer and heals it. Returns how long it was down, and evidence
 * that the fault took: a killed container exited, a restarted one started anew, a cut-off
 * sealer fell behind the RPC node.
 */
export async function applyFault(
  cluster: SoakCluster,
  kind: FaultKind,
  sealer: SoakNode,
  downMs: number,
): Promise<{downMs: number; evidence: string}> {
  const began = Date.now()
  const {engine} = cluster
  if (kind === 'kill') {
    await engine.killContainer(sealer.containerId, 'SIGKILL')
    await delay(downMs)
    const container = await engine.inspectContainer(sealer.containerId)
    const evidence = `container ${container?.state} (exit code ${container?.exitCode}) before its start`
    if (container?.state !== 'running') await engine.startContainer(sealer.containerId)
    return {downMs: Date.now() - began, evidence}
  }
  if (kind === 'restart') {
    const handle = cluster.docker.getContainer(sealer.containerId)
    const before = (await handle.inspect()).State.StartedAt
    // `docker restart`: SIGTERM, up to the container's stop time-out, then start.
    await handle.restart()
    const after = (await handle.inspect()).State.StartedAt
    return {downMs: Date.now() - began, evidence: `started at ${before}, then at ${after}`}
  }
  const rpc = cluster.nodes.find((n) => n.role === 'rpc')!
  await engine.disconnectNetwork(cluster.dockerNetwork, sealer.containerId)
  await delay(downMs)
  // Its IPC still answers through the Docker exec API: how far did it get on its own?
  const [alone, majority] = await Promise.all([
    headOf(cluster, sealer).catch(() => undefined),
    headOf(cluster, rpc).catch(() => undefined),
  ])
  await engine.connectNetwork(cluster.dockerNetwork, sealer.containerId, sealer.ip)
  const evidence =
    `cut off at head ${alone?.number ?? '?'} with ${alone?.peers ?? '?'} peers while the RPC node was at ` +
    `${majority?.number ?? '?'}`
  return {downMs: Date.now() - began, evidence}
}

/**
 * Waits until a healed sealer is back: running, its head the RPC node's block at that height
 * (at most 2 behind), connected to every other node, and a canonical block after `fromBlock`
 * sealed by it. A container that exits fails at once; a wait past `timeoutMs` fails with what
 * every node was doing.
 */
export async function awaitRecovery(
  cluster: SoakCluster,
  sealer: SoakNode,
  fromBlock: number,
  timeoutMs: number,
): Promise<
  Pick<AppliedFault, 'recoveredAfterMs' | 'syncedAfterMs' | 'peersAfterMs' | 'sealedBlock' | 'sealedAfterMs'>
> {
  const healedAt = Date.now()
  const rpc = cluster.nodes.find((n) => n.role === 'rpc')!
  const scan = new BlockSignerScan(cluster.rpcUrl, fromBlock, 3000)
  const wantedPeers = cluster.nodes.length - 1
  let syncedAt: number | undefined
  let peersAt: number | undefined
  let sealed: {block: number; at: number} | undefined
  let doing = 'to run'
  return pollUntil(
    () => `${sealer.name} ${doing}`,
    healedAt + timeoutMs,
    async () => {
      const container = await cluster.engine.inspectContainer(sealer.containerId)
      if (container?.state === 'exited' || container?.state === 'dead')
        throw new SoakFailure(
          `${sealer.name} ${container.state} (exit code ${container.exitCode}) while recovering.`,
          await describeCluster(cluster),
        )
      if (container?.state !== 'running') return undefined
      doing = 'to answer over IPC'
      const head = await headOf(cluster, sealer)
      const rpcHead = await headOf(cluster, rpc)
      const reference = await hashAt(cluster, rpc, head.number)
      const inStep = head.hash === reference && head.number >= rpcHead.number - 2
      if (inStep) syncedAt ??= Date.now()
      if (head.peers >= wantedPeers) peersAt ??= Date.now()
      if (!sealed) {
        const block = await scan.scanTo(rpcHead.number, (_, signer) => signer === sealer.address)
        if (block !== undefined) sealed = {block, at: Date.now()}
      }
      const sealing = sealed ? `sealed ${sealed.block}` : 'no block sealed'
      doing =
        `to catch up (head ${head.number} ${inStep ? 'in step' : 'not in step'} with the RPC node's ` +
        `${rpcHead.number}; ${head.peers}/${wantedPeers} peers; ${sealing})`
      if (!inStep || head.peers < wantedPeers || !sealed) return undefined
      return {
        recoveredAfterMs: Date.now() - healedAt,
        syncedAfterMs: syncedAt! - healedAt,
        peersAfterMs: peersAt! - healedAt,
        sealedBlock: sealed.block,
        sealedAfterMs: sealed.at - healedAt,
      }
    },
    {
      interval: 1000,
      // The node is starting or briefly unreachable: ask again. A SoakFailure is final.
      retryable: (error) => !(error instanceof SoakFailure),
      onTimeout: async () => ({
        message: `${sealer.name} did not recover within ${timeoutMs / 1000} s: still waiting for it ${doing}.`,
        details: await describeCluster(cluster),
      }),
    },
  )
}

export type FaultScheduleOptions = {
  /** Faults keep coming until this long has passed and every kind was applied at least once. */
  durationMs: number
  /** How long a killed sealer stays down, drawn uniformly. */
  downMs: readonly [number, number]
  /** How long a cut-off sealer stays off the Docker network, drawn uniformly. */
  partitionMs: readonly [number, number]
  /** A healthy pause between one sealer's recovery and the next fault, drawn uniformly. */
  pauseMs: readonly [number, number]
  recoveryTimeoutMs: number
  log: (line: string) => void
  /** Called with each fault as it completes (the schedule's record so far survives a failure). */
  onFault?: (fault: AppliedFault) => void
}

const between = ([min, max]: readonly [number, number]) => Math.round(min + Math.random() * (max - min))

/**
 * Which sealer the `index`th fault hits: the kinds rotate, and the sealer moves on by one
 * more each round, so every (kind, sealer) pair comes up within kinds × sealers faults.
 */
export function faultTarget(index: number, sealers: number): {kind: FaultKind; sealer: number} {
  const kind = faultKinds[index % faultKinds.length]!
  return {kind, sealer: (index + Math.floor(index / faultKinds.length)) % sealers}
}

/** Applies faults one at a time, each sealer recovering fully before the next. */
export async function runFaultSchedule(cluster: SoakCluster, options: FaultScheduleOptions): Promise<AppliedFault[]> {
  const sealers = cluster.nodes.filter((n) => n.role === 'sealer')
  const rpc = cluster.nodes.find((n) => n.role === 'rpc')!
  const applied: AppliedFault[] = []
  const began = Date.now()
  const everyKind = () => faultKinds.every((kind) => applied.some((f) => f.kind === kind))
  for (let index = 0; Date.now() - began < options.durationMs || !everyKind(); index++) {
    const target = faultTarget(index, sealers.length)
    const sealer = sealers[target.sealer]!
    const headAtFault = (await headOf(cluster, rpc)).number
    const at = new Date().toISOString()
    options.log(`fault ${index + 1}: ${target.kind} ${sealer.name} at block ${headAtFault}`)
    const range = target.kind === 'disconnect' ? options.partitionMs : options.downMs
    const {downMs, evidence} = await applyFault(cluster, target.kind, sealer, between(range))
    const healedHead = (await headOf(cluster, rpc)).number
    const recovery = await awaitRecovery(cluster, sealer, healedHead, options.recoveryTimeoutMs)
    const fault: AppliedFault = {kind: target.kind, sealer: sealer.name, at, headAtFault, downMs, evidence, ...recovery}
    applied.push(fault)
    options.onFault?.(fault)
    options.log(
      `fault ${index + 1}: ${sealer.name} back after ${(recovery.recoveredAfterMs / 1000).toFixed(1)} s ` +
        `(down ${(downMs / 1000).toFixed(1)} s, ${evidence}; ` +
        `in step ${(recovery.syncedAfterMs / 1000).toFixed(1)} s, ` +
        `peers ${(recovery.peersAfterMs / 1000).toFixed(1)} s, sealed block ${recovery.sealedBlock})`,
    )
    await delay(between(options.pauseMs))
  }
  return applied
}

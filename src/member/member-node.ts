import {labelKeys, type ContainerEngine, type ContainerInfo, type ContainerSpec} from '../docker/container-engine.js'
import {connectToDocker} from '../docker/connect-docker.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {gethIpcEval} from '../geth/geth-ipc.js'
import {gethCrashLines} from '../geth/geth-node-crash.js'
import {
  rpcContainerPort,
  rpcNodeCommand,
  rpcP2pPort,
  sealerCommand,
  sealerEnvironment,
} from '../geth/geth-node-command.js'
import {ensureGethImage} from '../image/geth-image.js'
import {enodeUrl, nodeIdFromNodeKey} from '../keys/node-key.js'
import {runStep, silentProgress, type ProgressListener} from '../progress/progress-events.js'
import {isPollTimeout, pollUntil} from '../wait/poll-until.js'
import {readNodeChainView, type NodeChainView} from '../clique/node-chain-view.js'
import {initMemberVolume, writeMemberNodeConfig} from './member-node-files.js'
import {destroyMemberNode} from './member-node-lifecycle.js'
import {peersToRedial, watchdogContainerSpec} from './member-watchdog.js'
import {
  assertMemberSpec,
  memberEnode,
  rpcNodeKeyOf,
  memberContainerSpec,
  specDigestLabel,
  type MemberNodeSpec,
} from './member-node-spec.js'
import {
  assessMemberReadiness,
  loadedHeadFromLog,
  newReadinessMemory,
  stallAfterMs,
  type ReadinessMemory,
  type ReadyState,
  type Remedy,
  type SignersOnline,
} from './member-readiness.js'
import {
  ensureMemberVolume,
  findMemberResources,
  memberContainer,
  memberLabels,
  memberNodeNames,
  memberResourceNames,
  memberSelector,
  type MemberRef,
} from './member-resources.js'
import {describeUnreachable, enodeId, probePeers, type PeerProbe} from './probe-peers.js'

export type StartMemberNodeOptions = {
  engine: ContainerEngine
  spec: MemberNodeSpec
  /** How long the whole start may take, the wait included. */
  timeoutMs: number
  progress?: ProgressListener
  signal?: AbortSignal
  /** How long each peer's TCP probe may take. */
  probeTimeoutMs?: number
  /**
   * Whether a stuck start-up is remedied (default true). Off only to show what happens
   * without (bench/multi-host.ts --no-remedies): the evidence for them.
   */
  remedies?: boolean
}

export type MemberPeerReport = PeerProbe & {connected: boolean}

export type StartMemberNodeResult = {
  network: string
  member: string
  /** The engine the node runs on, and the setting that chose it. */
  engine: string
  enode: string
  state: ReadyState
  summary: string
  blockNumber: number
  headHash: string
  votes?: {received: number; signers: number; needed: number}
  /** A signer: signers online as its node saw them, and how many the chain needs to move. */
  signersOnline?: SignersOnline
  peers: MemberPeerReport[]
  /** Remedies applied to get the start-up moving, in order (ms after the node started). */
  remedies: {afterMs: number; kind: Remedy; reason: string}[]
  /** False when the node was already running (then `up` only checks it and its peers). */
  started: boolean
  /** From the node's start (or from the call, when it ran already) to ready, in ms. */
  readyAfterMs: number
  rpc?: {url: string; blockNumber: number}
}

const stopTimeoutSeconds = 60
const pollMs = 1000
/** Blocks of the chain each observation reads (who sealed them): enough for the signer sets of a consortium. */
const chainWindow = 24
/** Logged by a running miner (miner/worker.go), hence after `StartMining` marked the node synced. */
const miningLine = /Commit new sealing work/

function isIpcError(error: unknown): boolean {
  return error instanceof MedrecError && error.code === errorCodes.IPC_FAILED
}

/**
 * Starts one member's node on one engine and waits until it does its part: a signer until
 * it seals, a member not yet voted in until it is synced (then it reports the votes it has).
 *
 * Why a signer starts alone: a node drops propagated blocks until it counts as synced
 * (geth v1.13.15 eth/handler.go:243), which a sealer does only once mining starts, after
 * the key is unlocked (see src/network/start-whole-network.ts for the whole sequence). So
 * it starts with no static peers, and dials its peers (admin.addPeer) only once it mines;
 * then every pair handshakes with its current total difficulty, so whoever is behind syncs.
 * Members start minutes apart on their own hosts, so each start is a join: the members
 * already running dial it too (it is in their static lists; geth redials every ~35 s),
 * which is harmless while their chain does not move, as when fewer than floor(N/2)+1
 * signers are up. What can still stall is read from the node and remedied (see
 * member-readiness.ts): equal-difficulty first blocks, and a peer's difficulty learnt stale.
 *
 * Only this member's objects are touched: they carry `org.medrec.network` and
 * `org.medrec.member`.
 */
export async function startMemberNode(options: StartMemberNodeOptions): Promise<StartMemberNodeResult> {
  const {engine, spec} = options
  const progress = options.progress ?? silentProgress
  assertMemberSpec(spec)
  const ref: MemberRef = {network: spec.network.name, member: spec.member.name}
  await connectToDocker(engine, progress)
  await assertNamesFree(engine, ref, Boolean(spec.rpc))
  const before = await findMemberResources(engine, ref)
  const firstStart = before.containers.length === 0 && before.volumes.length === 0
  try {
    return await startMemberNodeOn(options, ref, progress)
  } catch (error) {
    // A first start that fails leaves nothing behind, as a first `network up` does; one that
    // only ran out of time keeps its node, which goes on and may yet connect and seal.
    const timedOut = isPollTimeout(error)
    if (firstStart && !timedOut) await destroyMemberNode(engine, ref).catch(() => undefined)
    throw error
  }
}

/** Objects with this member's names that are not this member's: refused before anything is made. */
async function assertNamesFree(engine: ContainerEngine, ref: MemberRef, rpc: boolean): Promise<void> {
  const names = memberResourceNames(ref)
  const ours = (labels: Record<string, string>) =>
    labels[labelKeys.network] === ref.network && labels[labelKeys.member] === ref.member
  const foreign: string[] = []
  for (const name of [names.sealer, ...(rpc ? [names.rpc] : [])]) {
    const container = await engine.inspectContainer(name)
    if (container && !ours(container.labels)) foreign.push(`container ${name}`)
  }
  for (const name of [names.sealerVolume, ...(rpc ? [names.rpcVolume] : [])]) {
    const volume = await engine.inspectVolume(name)
    if (volume && !ours(volume.labels)) foreign.push(`volume ${name}`)
  }
  if (foreign.length === 0) return
  throw new MedrecError(
    errorCodes.NAME_CONFLICT,
    `Docker objects named for member ${ref.member} of network ${ref.network} exist and are not its own.`,
    {details: foreign, hint: 'Remove or rename them, or use another network or member name. Nothing was created.'},
  )
}

async function startMemberNodeOn(
  options: StartMemberNodeOptions,
  ref: MemberRef,
  progress: ProgressListener,
): Promise<StartMemberNodeResult> {
  const {engine, spec} = options
  const deadline = Date.now() + options.timeoutMs
  const names = memberResourceNames(ref)
  await runStep(
    progress,
    'image',
    `Checking image ${spec.network.image}`,
    () => ensureGethImage(engine, spec.network.image),
    (image) => `geth ${image.version}`,
  )
  const probes = await runStep(
    progress,
    'probe',
    `Probing the advertised addresses of ${spec.peers.length} peer${spec.peers.length === 1 ? '' : 's'}`,
    () => probePeers(spec.peers, options.probeTimeoutMs),
    (found) => `${found.filter((p) => p.reachable).length} of ${found.length} reachable`,
  )
  if (probes.some((p) => !p.reachable)) {
    progress({type: 'warning', message: `Not reachable from this machine: ${describeUnreachable(probes)}.`})
  }

  const enode = memberEnode(spec)
  const peerEnodes = spec.peers.map((p) => p.enode)
  const rpcNodeKey = rpcNodeKeyOf(spec.keys.nodeKey)
  // Every peer is trusted: with DialRatio 1 (gethConfigToml) a node takes inbound connections
  // from trusted nodes only. So is its own RPC node, which dials it; geth trusts by node id
  // alone, so that one is listed at a placeholder address (a container name would have to
  // resolve when geth starts, and fails while the RPC node is down).
  const trusted = [...peerEnodes, ...(spec.rpc ? [enodeUrl(rpcNodeKey, '127.0.0.1', rpcP2pPort)] : [])]
  const maxPeers = trusted.length
  const sealerSpec = sealerContainerSpec(spec, ref)

  await ensureMemberNetwork(engine, ref)
  let sealer = await runStep(progress, 'create', `Preparing ${spec.member.name}'s node`, () =>
    ensureNodeContainer(engine, ref, sealerSpec, memberNodeNames.sealer, names.sealerVolume, names.init('sealer'), {
      genesisText: spec.genesisText,
      nodeKey: spec.keys.nodeKey,
      account: {address: spec.member.address, keystore: spec.keys.keystore, password: spec.keys.password},
    }),
  )
  options.signal?.throwIfAborted()

  const began = Date.now()
  let started = false
  const restartBaseline = new Map<string, number>()
  if (sealer.state !== 'running') {
    const alone = spec.role === 'signer'
    await writeMemberNodeConfig(engine, sealer, alone ? [] : peerEnodes, trusted, maxPeers)
    await runStep(
      progress,
      'start',
      alone ? `Starting ${spec.member.name}'s sealer alone until it mines` : `Starting ${spec.member.name}'s node`,
      async () => {
        await engine.startContainer(sealer.id)
        if (alone) await awaitMining(engine, sealer, spec.member.name, deadline, restartBaseline, options.signal)
      },
    )
    started = true
  }
  // The head it started from: blocks it seals after that count, even those sealed before the
  // wait's first look. A node that was running already counts from the wait's first look.
  const startHead = started
    ? await pollUntil(
        `${spec.member.name}'s node to load its chain`,
        deadline,
        async () => {
          await assertRunning(engine, sealer, spec.member.name, restartBaseline)
          return loadedHeadFromLog(await engine.logsText(sealer.id, 500, {sinceStart: true}).catch(() => ''))
        },
        {interval: 200, ...(options.signal ? {signal: options.signal} : {})},
      )
    : undefined
  // Its peers: dialled now, and in config.toml for its later starts (Docker's restart policy).
  // Retried while its IPC socket is not open yet (a node that is not alone is dialled right after its start).
  await runStep(progress, 'connect', `Dialling ${spec.peers.length} peers`, () =>
    pollUntil(
      `${spec.member.name}'s node to open its IPC socket`,
      deadline,
      async () => {
        await assertRunning(engine, sealer, spec.member.name, restartBaseline)
        await dialPeers(engine, sealer, spec.member.name, peerEnodes, trusted)
        return true
      },
      {interval: 250, retryable: isIpcError, ...(options.signal ? {signal: options.signal} : {})},
    ),
  )
  await writeMemberNodeConfig(engine, sealer, peerEnodes, trusted, maxPeers)
  sealer = (await engine.inspectContainer(sealer.id)) ?? sealer

  const remedies: StartMemberNodeResult['remedies'] = []
  // The watchdog starts once the wait is over (or has run out of time, the node running on):
  // its reconnections would blur what the wait observes, and the wait has remedies of its own.
  const watch = () => (spec.peers.length > 0 ? ensureWatchdog(engine, ref, spec) : Promise.resolve())
  const ready = await runStep(
    progress,
    'wait',
    spec.role === 'signer' ? 'Waiting for it to seal' : 'Waiting for it to sync',
    (update) =>
      awaitMemberReady({
        engine,
        spec,
        sealer,
        probes,
        deadline,
        timeoutMs: options.timeoutMs,
        restartBaseline,
        ...(startHead === undefined ? {} : {startHead}),
        remedies,
        applyRemedies: options.remedies !== false,
        began,
        update,
        warn: (message) => progress({type: 'warning', message}),
        ...(options.signal ? {signal: options.signal} : {}),
      }).catch(async (error: unknown) => {
        if (isPollTimeout(error)) await watch().catch(() => undefined)
        throw error
      }),
    (r) => r.summary,
  )
  await watch()

  let rpc: StartMemberNodeResult['rpc']
  if (spec.rpc) {
    rpc = await runStep(
      progress,
      'rpc',
      `Starting the keyless RPC node on ${spec.rpc.hostIp}:${spec.rpc.port}`,
      () => startRpcNode(engine, spec, ref, sealer, rpcNodeKey, deadline, restartBaseline, options.signal),
      (r) => `block ${r.blockNumber}`,
    )
  }

  const connected = new Set(ready.view.peers)
  return {
    network: ref.network,
    member: ref.member,
    engine: engine.describeEndpoint(),
    enode,
    state: ready.state,
    summary: ready.summary,
    blockNumber: ready.view.head.number,
    headHash: ready.view.head.hash,
    ...(ready.votes ? {votes: ready.votes} : {}),
    ...(ready.signersOnline ? {signersOnline: ready.signersOnline} : {}),
    peers: probes.map((probe) => ({
      ...probe,
      connected: connected.has(enodeId(spec.peers.find((p) => p.name === probe.name)!.enode)),
    })),
    remedies,
    started,
    readyAfterMs: Date.now() - began,
    ...(rpc ? {rpc} : {}),
  }
}

function sealerContainerSpec(spec: MemberNodeSpec, ref: MemberRef): ContainerSpec {
  const names = memberResourceNames(ref)
  const {host, port} = spec.member.advertise
  const cmd = sealerCommand({
    chainId: spec.network.chainId,
    // --nat extip: its enode carries the advertised address, as the other members dial it.
    ip: host,
    p2pPort: port,
    signer: spec.member.address,
    gasLimit: spec.network.gasLimit,
  })
  const publish = (['tcp', 'udp'] as const).map((protocol) => ({
    containerPort: port,
    hostIp: '0.0.0.0',
    hostPort: port,
    protocol,
  }))
  return memberContainerSpec(ref, spec.network.image, 'sealer', {
    cmd,
    volume: names.sealerVolume,
    network: {name: names.sealer, aliases: [names.sealer]},
    publish,
    stopTimeoutSeconds,
    env: {...sealerEnvironment},
  })
}

/** The sealer's watchdog (member-watchdog.ts), replaced when its peers or settings changed, and running. */
async function ensureWatchdog(engine: ContainerEngine, ref: MemberRef, spec: MemberNodeSpec): Promise<void> {
  const wanted = watchdogContainerSpec(spec, ref)
  let existing = memberContainer(await findMemberResources(engine, ref), memberNodeNames.watchdog)
  if (existing && existing.labels[specDigestLabel] !== wanted.labels[specDigestLabel]) {
    await engine.removeContainer(existing.id)
    existing = undefined
  }
  const id = existing?.id ?? (await engine.createContainer(wanted))
  if (existing?.state !== 'running') await engine.startContainer(id)
}

/** The member's own Docker network (its sealer and RPC node), created once. */
async function ensureMemberNetwork(engine: ContainerEngine, ref: MemberRef): Promise<void> {
  const name = memberResourceNames(ref).sealer
  const existing = await engine.listNetworks(memberSelector(ref))
  if (existing.some((n) => n.name === name)) return
  await engine.createNetwork({name, labels: memberLabels(ref)})
}

/**
 * The node's container: the existing one if it was made from the same settings, else a
 * new one on a fresh `geth init` of its volume (the chain data in the volume is kept).
 */
async function ensureNodeContainer(
  engine: ContainerEngine,
  ref: MemberRef,
  spec: ContainerSpec,
  node: string,
  volume: string,
  initContainer: string,
  files: Parameters<typeof initMemberVolume>[3],
): Promise<ContainerInfo> {
  const existing = memberContainer(await findMemberResources(engine, ref), node)
  if (existing && existing.labels[specDigestLabel] === spec.labels[specDigestLabel]) return existing
  if (existing) {
    await engine.stopContainer(existing.id, stopTimeoutSeconds)
    await engine.removeContainer(existing.id)
  }
  const other = await engine.inspectContainer(spec.name)
  if (other) {
    throw new MedrecError(
      errorCodes.NAME_CONFLICT,
      `A container named ${spec.name} exists and is not member ${ref.member}'s ${node}.`,
      {hint: 'Remove or rename it, or use another network or member name. Nothing was created.'},
    )
  }
  await ensureMemberVolume(engine, ref, volume, node)
  await initMemberVolume(engine, ref, {name: node, image: spec.image, volume, initContainer}, files)
  const id = await engine.createContainer(spec)
  return (await engine.inspectContainer(id))!
}

/** Fails fast, with its last log lines, when the node's container stopped or keeps restarting. */
async function assertRunning(
  engine: ContainerEngine,
  container: ContainerInfo,
  name: string,
  baseline: Map<string, number>,
): Promise<void> {
  const info = await engine.inspectContainer(container.id)
  if (!info) throw new MedrecError(errorCodes.NODE_FAILED, `${name}'s container was removed while it started.`)
  const details = await gethCrashLines(engine, info.id, info, baseline)
  if (!details) return
  throw new MedrecError(errorCodes.NODE_FAILED, `${name} stopped while starting (exit code ${info.exitCode ?? '?'}).`, {
    details,
    hint: 'Read its log with `medrec member logs`.',
  })
}

/** Polls the node's log (this start's lines only) until its miner runs. */
async function awaitMining(
  engine: ContainerEngine,
  sealer: ContainerInfo,
  name: string,
  deadline: number,
  baseline: Map<string, number>,
  signal: AbortSignal | undefined,
): Promise<void> {
  let logs = ''
  await pollUntil(
    `${name}'s sealer to start mining`,
    deadline,
    async () => {
      await assertRunning(engine, sealer, name, baseline)
      logs = await engine.logsText(sealer.id, 500, {sinceStart: true}).catch(() => '')
      return miningLine.test(logs) ? true : undefined
    },
    {
      interval: 200,
      ...(signal ? {signal} : {}),
      onTimeout: () => ({
        details: logs
          .trim()
          .split('\n')
          .slice(-5)
          .map((l) => l.trim()),
        hint: 'Read its log with `medrec member logs`, or allow more time with --timeout.',
      }),
    },
  )
}

/**
 * Brings a running member node up to date with a newer bundle or a vote of its own: trusts and
 * dials every peer now (a joiner proposed, a member admitted), writes them into config.toml for
 * its next start, and replaces its watchdog when the peers or the votes it keeps changed. Without
 * it, members' nodes (which take inbound connections from trusted nodes only) would turn a
 * joiner's node away until each of them restarted, and a vote lost in a restart would stay lost.
 */
export async function refreshRunningMemberNode(
  engine: ContainerEngine,
  ref: MemberRef,
  sealer: ContainerInfo,
  spec: MemberNodeSpec,
): Promise<void> {
  const peerEnodes = spec.peers.map((p) => p.enode)
  const rpcNodeKey = rpcNodeKeyOf(spec.keys.nodeKey)
  const trusted = [...peerEnodes, ...(spec.rpc ? [enodeUrl(rpcNodeKey, '127.0.0.1', rpcP2pPort)] : [])]
  await dialPeers(engine, sealer, spec.member.name, peerEnodes, trusted)
  await writeMemberNodeConfig(engine, sealer, peerEnodes, trusted, trusted.length)
  if (spec.peers.length > 0) await ensureWatchdog(engine, ref, spec)
}

/** Dials every peer from the node (admin.addPeer) and trusts them, so they are let in beyond MaxPeers. */
async function dialPeers(
  engine: ContainerEngine,
  node: ContainerInfo,
  name: string,
  peers: readonly string[],
  trusted: readonly string[],
): Promise<void> {
  if (peers.length === 0 && trusted.length === 0) return
  const calls = [
    ...trusted.map((e) => `admin.addTrustedPeer(${JSON.stringify(e)})`),
    ...peers.map((e) => `admin.addPeer(${JSON.stringify(e)})`),
  ]
  await gethIpcEval(engine, node.id, name, `[${calls.join(', ')}]`)
}

async function applyRemedy(
  engine: ContainerEngine,
  node: ContainerInfo,
  name: string,
  kind: Remedy,
  peers: readonly string[],
): Promise<void> {
  const rehandshake = peers.flatMap((e) => [
    `admin.removePeer(${JSON.stringify(e)})`,
    `admin.addPeer(${JSON.stringify(e)})`,
  ])
  if (kind === 'rehandshake') {
    if (rehandshake.length > 0) await gethIpcEval(engine, node.id, name, `[${rehandshake.join(', ')}]`)
  } else if (kind === 'rewind-own-chain') {
    // Mining stops first: a miner on the genesis would seal a new block 1 before the sync. The
    // peers' higher total difficulty is known, but geth weighs it only on a peer event (its
    // forced sync timer fires once, eth/sync.go), hence the reconnection; the peers this node
    // does not redial redial it from their watchdogs, stalled as they are.
    await gethIpcEval(engine, node.id, name, `[miner.stop(), debug.setHead("0x0"), ${rehandshake.join(', ')}]`)
  } else await gethIpcEval(engine, node.id, name, 'miner.start()')
}

type AwaitReadyOptions = {
  engine: ContainerEngine
  spec: MemberNodeSpec
  sealer: ContainerInfo
  probes: PeerProbe[]
  deadline: number
  timeoutMs: number
  restartBaseline: Map<string, number>
  startHead?: number
  remedies: StartMemberNodeResult['remedies']
  applyRemedies: boolean
  began: number
  update: (message: string) => void
  warn: (message: string) => void
  signal?: AbortSignal
}

type ReadyResult = {
  state: ReadyState
  summary: string
  votes?: {received: number; signers: number; needed: number}
  signersOnline?: SignersOnline
  view: NodeChainView
}

/** Observes the node every second and applies the readiness decision, remedies included. */
async function awaitMemberReady(options: AwaitReadyOptions): Promise<ReadyResult> {
  const {engine, spec, sealer} = options
  const name = spec.member.name
  const me = spec.member.address.toLowerCase()
  const ownId = nodeIdFromNodeKey(spec.keys.nodeKey)
  const peers = spec.peers.map((p) => ({
    name: p.name,
    id: enodeId(p.enode),
    ...(p.address ? {address: p.address.toLowerCase()} : {}),
    reachable: options.probes.find((probe) => probe.name === p.name)?.reachable ?? false,
  }))
  let memory: ReadinessMemory | undefined
  let waitingFor = `${name}'s node to answer over IPC`
  let lastView: NodeChainView | undefined
  try {
    return await pollUntil(
      () => waitingFor,
      options.deadline,
      async () => {
        await assertRunning(engine, sealer, name, options.restartBaseline)
        const view = await readNodeChainView(engine, sealer.id, name, chainWindow)
        lastView = view
        const now = Date.now()
        memory ??= newReadinessMemory(now, view, options.startHead)
        const assessed = assessMemberReadiness({now, me, period: spec.network.period, view, peers}, memory)
        memory = assessed.memory
        const step = assessed.step
        // Without remedies nothing is paused: the decision is only reported.
        if (!options.applyRemedies) delete memory.miningPausedAt
        if (step.kind === 'ready') {
          return {
            state: step.state,
            summary: step.summary,
            ...(step.votes ? {votes: step.votes} : {}),
            ...(step.signersOnline ? {signersOnline: step.signersOnline} : {}),
            view,
          }
        }
        waitingFor = `${name}: ${step.waitingFor}`
        options.update(step.waitingFor)
        if (step.remedy && options.applyRemedies) {
          options.remedies.push({afterMs: now - options.began, kind: step.remedy.kind, reason: step.remedy.reason})
          options.warn(`${name}: ${remedyWords[step.remedy.kind]} (${step.remedy.reason}).`)
          // A signer redials only the peers it is the one to redial (their watchdogs may act at
          // the same moment on the others); a member not yet voted in redials all: nobody
          // else is stalled, so no watchdog races it.
          const enodes = spec.peers.map((p) => p.enode)
          const redial = view.signers.includes(me) ? peersToRedial(ownId, enodes) : enodes
          await applyRemedy(engine, sealer, name, step.remedy.kind, redial)
        }
        return undefined
      },
      {
        interval: pollMs,
        retryable: isIpcError,
        ...(options.signal ? {signal: options.signal} : {}),
        onTimeout: async () => ({
          message:
            `${name}'s node was not ready after ${Math.round(options.timeoutMs / 1000)} s: ` +
            `still waiting for ${waitingFor.replace(`${name}: `, '')}.`,
          details: await timeoutDetails(engine, sealer, options.probes, lastView),
          hint:
            'Check that the other members can reach the advertised address (a firewall must let devp2p in, TCP and ' +
            'UDP), read its log with `medrec member logs`, or allow more time with --timeout.',
        }),
      },
    )
  } finally {
    // Never leave a node that stopped mining for a rewind without its miner.
    if (memory?.miningPausedAt !== undefined) await applyRemedy(engine, sealer, name, 'resume-mining', [])
  }
}

const remedyWords: Record<Remedy, string> = {
  rehandshake: 'reconnecting to its peers so they exchange their chain heads again',
  'rewind-own-chain': 'dropping the blocks it sealed alone, to take the chain its peers hold',
  'resume-mining': 'resuming mining',
}

async function timeoutDetails(
  engine: ContainerEngine,
  sealer: ContainerInfo,
  probes: PeerProbe[],
  view: NodeChainView | undefined,
): Promise<string[]> {
  const logs = await engine.logsText(sealer.id, 5).catch(() => '')
  return [
    ...(view
      ? [`head at block ${view.head.number} (${view.head.hash}), ${view.peers.length} peers connected`]
      : ['it never answered over IPC']),
    ...probes.filter((p) => !p.reachable).map((p) => `${p.name} not reachable at ${p.address} (${p.error})`),
    ...logs
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => `log: ${l.trim()}`),
  ]
}

/**
 * The keyless RPC node: follows this member's sealer only (by its container name on the
 * member's Docker network), serves eth, net, web3 and clique over HTTP on hostIp:port of the
 * engine's host. Ready once its head is the sealer's; a node that is not mining drops
 * propagated blocks until it has synced once, so one left behind is made to handshake again.
 */
async function startRpcNode(
  engine: ContainerEngine,
  spec: MemberNodeSpec,
  ref: MemberRef,
  sealer: ContainerInfo,
  rpcNodeKey: string,
  deadline: number,
  baseline: Map<string, number>,
  signal: AbortSignal | undefined,
): Promise<{url: string; blockNumber: number}> {
  const names = memberResourceNames(ref)
  const rpc = spec.rpc!
  const cmd = rpcNodeCommand({
    chainId: spec.network.chainId,
    ip: '127.0.0.1',
    p2pPort: rpcP2pPort,
    vhosts: ['localhost', '127.0.0.1', rpc.hostIp].filter((h, i, all) => all.indexOf(h) === i),
  })
  const publish = [{containerPort: rpcContainerPort, hostIp: rpc.hostIp, hostPort: rpc.port}]
  const containerSpec = memberContainerSpec(ref, spec.network.image, 'rpc', {
    cmd,
    volume: names.rpcVolume,
    network: {name: names.sealer, aliases: [names.rpc]},
    publish,
    stopTimeoutSeconds,
  })
  const container = await ensureNodeContainer(
    engine,
    ref,
    containerSpec,
    memberNodeNames.rpc,
    names.rpcVolume,
    names.init('rpc'),
    {genesisText: spec.genesisText, nodeKey: rpcNodeKey},
  )
  const sealerEnode = enodeUrl(spec.keys.nodeKey, names.sealer, spec.member.advertise.port)
  await writeMemberNodeConfig(engine, container, [sealerEnode], [sealerEnode])
  if (container.state !== 'running') await engine.startContainer(container.id)
  const label = `${spec.member.name}'s RPC node`
  let behindSince: number | undefined
  const stallMs = stallAfterMs(spec.network.period)
  const blockNumber = await pollUntil(
    `${label} to reach its sealer's head`,
    deadline,
    async () => {
      await assertRunning(engine, container, label, baseline)
      const [own, theirs] = await Promise.all([
        gethIpcEval<{number: number; hash: string}>(engine, container.id, label, 'eth.getBlock("latest")'),
        gethIpcEval<{number: number; hash: string}>(engine, sealer.id, spec.member.name, 'eth.getBlock("latest")'),
      ])
      if (own.hash === theirs.hash) return own.number
      behindSince ??= Date.now()
      if (Date.now() - behindSince > stallMs) {
        await gethIpcEval(
          engine,
          container.id,
          label,
          `[admin.removePeer("${sealerEnode}"), admin.addPeer("${sealerEnode}")]`,
        )
        behindSince = Date.now()
      }
      return undefined
    },
    {interval: pollMs, retryable: isIpcError, ...(signal ? {signal} : {})},
  )
  return {url: `http://${rpc.hostIp}:${rpc.port}`, blockNumber}
}

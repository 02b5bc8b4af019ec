import {callJsonRpc, JsonRpcResponseError} from '../chain/json-rpc.js'
import {headBlockNumber} from '../clique/chain-head.js'
import {BlockSignerScan} from '../clique/signer-of-block.js'
import {cliqueSignersAt} from '../clique/signers-at.js'
import type {ContainerEngine} from '../docker/container-engine.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {gethIpcEval} from '../geth/geth-ipc.js'
import {gethCrashLines} from '../geth/geth-node-crash.js'
import {pollUntil, type PollTimeoutReport} from '../wait/poll-until.js'
import {settleAll} from '../workspace/network-resources.js'

export type WaitNode = {name: string; containerId: string; address?: string}

export type WaitForNetworkOptions = {
  engine: ContainerEngine
  rpcUrl: string
  chainId: number
  /** The Clique period in seconds. */
  period: number
  sealers: WaitNode[]
  rpcNode: WaitNode
  timeoutMs: number
  /** When the time allowed began (epoch ms; default now): `up` spends part of it before this wait. */
  startedAt?: number
  /**
   * Count signers' blocks after this one: 0 for a chain this `up` created, whose every block was
   * sealed by it. Default: the head the RPC node first reports, so a restarted network is proven
   * live by new blocks.
   */
  countFromBlock?: number
  /** Aborts the wait (Ctrl-C): it throws the signal's reason. */
  signal?: AbortSignal
  /** Called with a short description of what is still awaited. */
  update?: (message: string) => void
  /** Which stage is being awaited, for progress steps. */
  stage?: (stage: 'rpc' | 'sealing' | 'peering') => void
  /** Started once every sealer is connected to every other node, beside the sealing stage; awaited before ready. */
  whenMeshed?: () => Promise<void>
  /** Peer counts seen a moment ago (by the start): when every sealer has them all, the mesh needs no poll. */
  knownPeers?: Record<string, number>
}

export type WaitForNetworkResult = {
  blockNumber: number
  startBlock: number
  sealedBy: Record<string, number>
  peers: Record<string, number>
  /** When the last signer's first block was seen (epoch ms). */
  allSealedAt: number
  /** How many times the sealers were restarted to get past a stall (the last resort; 0 when healthy). */
  restarts: number
}

const rpcPollMs = 200
// Each poll runs `geth attach` in every sealer; the mesh is usually complete at the first or second.
const ipcPollMs = 300

/** Fails fast, with the node's last log lines, when a container has exited or is crash looping (gethCrashLines). */
export async function assertNodesRunning(
  engine: ContainerEngine,
  nodes: WaitNode[],
  baseline: Map<string, number>,
): Promise<void> {
  for (const node of nodes) {
    const info = await engine.inspectContainer(node.containerId)
    if (!info) continue
    const details = await gethCrashLines(engine, node.containerId, info, baseline)
    if (!details) continue
    const how =
      info.state === 'exited' || info.state === 'dead'
        ? `stopped (exit code ${info.exitCode ?? '?'})`
        : `keeps crashing (exit code ${info.exitCode ?? '?'}, restarted ${info.restartCount} times)`
    throw new MedrecError(errorCodes.NODE_FAILED, `${node.name} ${how} before the network was ready.`, {
      details,
      hint: `Read its full log with \`medrec network logs ${node.name}\`.`,
    })
  }
}

/** Unreachable for a moment, or "missing block" after a reorg between two calls: try again. */
function isTransientRpcError(error: unknown): boolean {
  return (error instanceof MedrecError && error.code === errorCodes.RPC_FAILED) || error instanceof JsonRpcResponseError
}

/** What the three stages share: the options, one deadline, what is awaited now, and crash detection. */
type WaitContext = {
  options: WaitForNetworkOptions
  deadline: number
  allNodes: WaitNode[]
  update: (message: string) => void
  /** What is awaited right now, for the timeout message. */
  waitingFor: string
  restartBaseline: Map<string, number>
}

/**
 * A timeout carries what each node was doing (its peers and last log lines), so a failure
 * seen once, in CI or under load, can be diagnosed from its output alone.
 */
async function networkTimeoutReport(context: WaitContext): Promise<PollTimeoutReport> {
  const {options} = context
  const details = await Promise.all(
    context.allNodes.map(async (node) => {
      const peerCount = await gethIpcEval<number>(
        options.engine,
        node.containerId,
        node.name,
        'admin.peers.length',
      ).catch(() => '?')
      const logs = await options.engine.logsText(node.containerId, 3).catch(() => '')
      return `${node.name}: ${peerCount} peers; last log: ${logs
        .trim()
        .split('\n')
        .map((l) => l.trim())
        .join(' | ')}`
    }),
  ).catch(() => [])
  const seconds = Math.round(options.timeoutMs / 1000)
  return {
    message: `The network was not ready after ${seconds} s: still waiting for ${context.waitingFor}.`,
    details,
    hint: "Read the nodes' logs with `medrec network logs`, or allow more time with --timeout.",
  }
}

/** pollUntil with the wait's deadline, abort signal and timeout report. */
function pollStage<T>(
  context: WaitContext,
  interval: number,
  check: () => Promise<T | undefined>,
  retryable?: (error: unknown) => boolean,
): Promise<T> {
  return pollUntil(() => context.waitingFor, context.deadline, check, {
    interval,
    ...(retryable ? {retryable} : {}),
    ...(context.options.signal ? {signal: context.options.signal} : {}),
    onTimeout: () => networkTimeoutReport(context),
  })
}

/** Stage 1: the RPC node answers, on the expected chain. Returns the head block then. */
async function awaitRpcNode(context: WaitContext): Promise<number> {
  const {options} = context
  context.waitingFor = 'the RPC node to answer'
  return pollStage(
    context,
    rpcPollMs,
    async () => {
      await assertNodesRunning(options.engine, context.allNodes, context.restartBaseline)
      const chainId = Number(await callJsonRpc<string>(options.rpcUrl, 'eth_chainId', [], 1000))
      if (chainId !== options.chainId) {
        throw new MedrecError(
          errorCodes.NAME_CONFLICT,
          `The node at ${options.rpcUrl} is on chain ${chainId}, not ${options.chainId}.`,
          {
            hint: "Another chain's node answers on this port; stop it or change rpc.port in medrec.yaml.",
          },
        )
      }
      return headBlockNumber(options.rpcUrl, 1000)
    },
    isTransientRpcError,
  )
}

/**
 * Stage 2: every signer seals a block after `startBlock` (so a restarted network is proven
 * live). Only sealers in the current signer set: one voted out seals nothing, by design.
 */
async function awaitEverySignerSealing(context: WaitContext, startBlock: number) {
  const {options} = context
  let expected: Map<string, string> | undefined
  const sealedBy: Record<string, number> = {}
  const scan = new BlockSignerScan(options.rpcUrl, startBlock, 1000)
  let head = startBlock
  // Last resort, counted and reported: restart every sealer when the head has not moved for
  // a long while. geth 1.13 can deadlock when a sealer seals a block while a peer is still
  // unlocking its key: the peer, not yet "synced", discards it, and with 2 signers both are
  // then "signed recently" (see start-whole-network.ts for the sequence from geth's source).
  // `up` starts a whole network so that this cannot happen; nodes started otherwise (by
  // Docker's restart policy, by hand, or some nodes of a running network) can still hit it.
  // A restart makes every node handshake again with its current total difficulty, so the
  // node that is behind syncs.
  const stallRestartMs = Math.max(25_000, 10_000 + 5_000 * options.period)
  let restarts = 0
  let movedAt = Date.now()
  let movedFrom = startBlock
  context.waitingFor = 'the signer set'
  await pollStage(
    context,
    rpcPollMs,
    async () => {
      // The signer set at the head, retried while the RPC node settles.
      if (expected === undefined) {
        const lower = new Set((await cliqueSignersAt(options.rpcUrl, 'latest', 1000)).map((s) => s.toLowerCase()))
        const named = options.sealers.filter((s) => s.address && lower.has(s.address.toLowerCase()))
        expected = new Map(named.map((s) => [s.address!.toLowerCase(), s.name]))
      }
      const signers = expected
      await assertNodesRunning(options.engine, context.allNodes, context.restartBaseline)
      if (head > movedFrom) {
        movedFrom = head
        movedAt = Date.now()
      } else if (Date.now() - movedAt > stallRestartMs) {
        context.update(`no block for ${Math.round((Date.now() - movedAt) / 1000)} s: restarting the sealers`)
        for (const sealer of options.sealers) {
          await options.engine.stopContainer(sealer.containerId, 10)
          await options.engine.startContainer(sealer.containerId)
        }
        restarts++
        movedAt = Date.now()
      }
      try {
        head = await headBlockNumber(options.rpcUrl, 1000)
        await scan.scanTo(head, (block, signer) => {
          const name = signers.get(signer.toLowerCase())
          if (name && sealedBy[name] === undefined) sealedBy[name] = block
        })
      } catch (error) {
        if (!isTransientRpcError(error)) throw error
      }
      const missing = [...signers.values()].filter((name) => sealedBy[name] === undefined)
      context.waitingFor = `${missing.join(', ')} to seal a block (head at block ${head})`
      context.update(`${Object.keys(sealedBy).length}/${signers.size} signers have sealed; block ${head}`)
      return missing.length === 0 ? true : undefined
    },
    isTransientRpcError,
  )
  return {sealedBy, head, restarts, allSealedAt: Date.now()}
}

/** Stage 3: every sealer is connected to every other node (full mesh from the static peer lists). */
async function awaitFullMesh(context: WaitContext): Promise<Record<string, number>> {
  const {options} = context
  const wanted = context.allNodes.length - 1
  const known = options.knownPeers
  if (known && options.sealers.every((s) => (known[s.name] ?? 0) >= wanted)) {
    context.update(`${options.sealers.length}/${options.sealers.length} sealers connected to all ${wanted} peers`)
    return Object.fromEntries(options.sealers.map((s) => [s.name, known[s.name]!]))
  }
  const peers: Record<string, number> = {}
  context.waitingFor = 'every sealer to connect to its peers'
  return pollStage(context, ipcPollMs, async () => {
    await assertNodesRunning(options.engine, context.allNodes, context.restartBaseline)
    await Promise.all(
      options.sealers.map(async (sealer) => {
        peers[sealer.name] = await gethIpcEval<number>(
          options.engine,
          sealer.containerId,
          sealer.name,
          'admin.peers.length',
        ).catch(() => 0)
      }),
    )
    const short = options.sealers.filter((s) => (peers[s.name] ?? 0) < wanted)
    context.update(
      `${options.sealers.length - short.length}/${options.sealers.length} sealers connected to all ${wanted} peers`,
    )
    if (short.length === 0) return peers
    context.waitingFor = `${short.map((s) => `${s.name} (${peers[s.name]}/${wanted} peers)`).join(', ')} to connect`
    return undefined
  })
}

/**
 * Waits, polling with an overall deadline (never a fixed sleep), in three stages: the RPC
 * node answers on the right chain, every sealer is connected to every other node, and every
 * signer has sealed a block since the wait began. The connections come first: they are made
 * before the wait and take a poll or two to confirm, while the blocks take a period each, so
 * confirming them first costs nothing and lets `whenMeshed` run while the blocks come.
 */
export async function waitForNetwork(options: WaitForNetworkOptions): Promise<WaitForNetworkResult> {
  const context: WaitContext = {
    options,
    deadline: (options.startedAt ?? Date.now()) + options.timeoutMs,
    allNodes: [...options.sealers, options.rpcNode],
    update: options.update ?? (() => {}),
    waitingFor: '',
    restartBaseline: new Map(),
  }
  options.stage?.('rpc')
  const rpcHead = await awaitRpcNode(context)
  const startBlock = Math.min(options.countFromBlock ?? rpcHead, rpcHead)
  options.stage?.('peering')
  const peers = await awaitFullMesh(context)
  const meshed = Promise.resolve().then(() => options.whenMeshed?.())
  options.stage?.('sealing')
  const sealing = awaitEverySignerSealing(context, startBlock)
  await settleAll<unknown>([sealing, meshed])
  const sealed = await sealing
  return {
    blockNumber: sealed.head,
    startBlock,
    sealedBy: sealed.sealedBy,
    peers,
    allSealedAt: sealed.allSealedAt,
    restarts: sealed.restarts,
  }
}

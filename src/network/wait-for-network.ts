import {setTimeout as delay} from 'node:timers/promises'

import {callJsonRpc, JsonRpcResponseError} from '../chain/json-rpc.js'
import type {ContainerEngine} from '../docker/container-engine.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {gethIpcEval} from '../geth/geth-ipc.js'

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
  /** Aborts the wait (Ctrl-C): it throws the signal's reason. */
  signal?: AbortSignal
  /** Called with a short description of what is still awaited. */
  update?: (message: string) => void
  /** Which stage is being awaited, for progress steps. */
  stage?: (stage: 'rpc' | 'sealing' | 'peering') => void
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
const ipcPollMs = 500

/**
 * Fails fast, with the node's last log lines, when a container has exited or is crash
 * looping: under the restart policy a failing geth is restarted again and again, so a
 * rising restart count is the sign, not an exited state.
 */
export async function assertNodesRunning(
  engine: ContainerEngine,
  nodes: WaitNode[],
  baseline: Map<string, number>,
): Promise<void> {
  for (const node of nodes) {
    const info = await engine.inspectContainer(node.containerId)
    if (!info) continue
    if (!baseline.has(node.containerId)) baseline.set(node.containerId, info.restartCount)
    const crashed =
      info.state === 'exited' ||
      info.state === 'dead' ||
      info.state === 'restarting' ||
      info.restartCount > baseline.get(node.containerId)!
    if (!crashed) continue
    const logs = await engine.logsText(node.containerId, 30)
    const fatal = [...new Set(logs.split('\n').filter((line) => /Fatal|could not decrypt|panic/i.test(line)))]
    const how =
      info.state === 'exited' || info.state === 'dead'
        ? `stopped (exit code ${info.exitCode ?? '?'})`
        : `keeps crashing (exit code ${info.exitCode ?? '?'}, restarted ${info.restartCount} times)`
    throw new MedrecError(errorCodes.NODE_FAILED, `${node.name} ${how} before the network was ready.`, {
      details: (fatal.length > 0 ? fatal : logs.trim().split('\n')).slice(-5),
      hint: `Read its full log with \`medrec network logs ${node.name}\`.`,
    })
  }
}

/** The signer set at the head, retried until the deadline while the RPC node settles. */
async function signersNow(rpcUrl: string, deadline: number): Promise<Set<string>> {
  for (;;) {
    try {
      return new Set(
        (await callJsonRpc<string[]>(rpcUrl, 'clique_getSigners', ['latest'], 1000)).map((s) => s.toLowerCase()),
      )
    } catch (error) {
      if (Date.now() > deadline) throw error
      await delay(rpcPollMs)
    }
  }
}

/**
 * Waits, polling with an overall deadline (never a fixed sleep), until the RPC node
 * answers on the right chain, every signer has sealed a block since the wait began,
 * and every sealer is connected to every other node.
 */
export async function waitForNetwork(options: WaitForNetworkOptions): Promise<WaitForNetworkResult> {
  const deadline = (options.startedAt ?? Date.now()) + options.timeoutMs
  const allNodes = [...options.sealers, options.rpcNode]
  const update = options.update ?? (() => {})
  let waitingFor = 'the RPC node to answer'
  const restartBaseline = new Map<string, number>()

  // A timeout carries what each node was doing (its peers and last log lines), so a
  // failure seen once, in CI or under load, can be diagnosed from its output alone.
  const timedOut = async () => {
    const details = await Promise.all(
      allNodes.map(async (node) => {
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
    return new MedrecError(
      errorCodes.READY_TIMEOUT,
      `The network was not ready after ${Math.round(options.timeoutMs / 1000)} s: still waiting for ${waitingFor}.`,
      {
        details,
        hint: "Read the nodes' logs with `medrec network logs`, or allow more time with --timeout.",
      },
    )
  }

  // 1. The RPC node answers, on the expected chain.
  options.stage?.('rpc')
  let startBlock: number | undefined
  while (startBlock === undefined) {
    options.signal?.throwIfAborted()
    if (Date.now() > deadline) throw await timedOut()
    await assertNodesRunning(options.engine, allNodes, restartBaseline)
    try {
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
      startBlock = Number(await callJsonRpc<string>(options.rpcUrl, 'eth_blockNumber', [], 1000))
    } catch (error) {
      if (error instanceof MedrecError && error.code !== errorCodes.RPC_FAILED) throw error
      if (!(error instanceof MedrecError) && !(error instanceof JsonRpcResponseError)) throw error
      await delay(rpcPollMs)
    }
  }

  // 2. Every signer seals a block after the wait began (so a restarted network is proven live).
  //    Only sealers in the current signer set: one voted out seals nothing, by design.
  options.stage?.('sealing')
  const signerSet = await signersNow(options.rpcUrl, deadline)
  const expected = new Map(
    options.sealers
      .filter((s) => s.address && signerSet.has(s.address.toLowerCase()))
      .map((s) => [s.address!.toLowerCase(), s.name]),
  )
  const sealedBy: Record<string, number> = {}
  let nextBlock = startBlock + 1
  let head = startBlock
  // Last resort, counted and reported: restart every sealer when the head has not moved for
  // a long while. geth 1.13 can deadlock when a sealer seals a block while a peer is still
  // unlocking its key: the peer, not yet "synced", discards it, and with 2 signers both are
  // then "signed recently" (see start-whole-network.ts for the sequence from geth's source).
  // `up` starts a whole network so that this cannot happen; nodes started otherwise (by
  // Docker's restart policy, by hand, or some nodes of a running network) can still hit it. A restart makes every node
  // handshake again with its current total difficulty, so the node that is behind syncs.
  const stallRestartMs = Math.max(25_000, 10_000 + 5_000 * options.period)
  let restarts = 0
  let movedAt = Date.now()
  let movedFrom = startBlock
  while (Object.keys(sealedBy).length < expected.size) {
    options.signal?.throwIfAborted()
    if (Date.now() > deadline) throw await timedOut()
    await assertNodesRunning(options.engine, allNodes, restartBaseline)
    if (head > movedFrom) {
      movedFrom = head
      movedAt = Date.now()
    } else if (Date.now() - movedAt > stallRestartMs) {
      update(`no block for ${Math.round((Date.now() - movedAt) / 1000)} s: restarting the sealers`)
      for (const sealer of options.sealers) {
        await options.engine.stopContainer(sealer.containerId, 10)
        await options.engine.startContainer(sealer.containerId)
      }
      restarts++
      movedAt = Date.now()
    }
    try {
      head = Number(await callJsonRpc<string>(options.rpcUrl, 'eth_blockNumber', [], 1000))
      for (; nextBlock <= head; nextBlock++) {
        const signer = (
          await callJsonRpc<string>(options.rpcUrl, 'clique_getSigner', [`0x${nextBlock.toString(16)}`], 1000)
        ).toLowerCase()
        const name = expected.get(signer)
        if (name && sealedBy[name] === undefined) sealedBy[name] = nextBlock
      }
    } catch (error) {
      // Unreachable for a moment, or "missing block" after a reorg between two calls: retry.
      if (
        !(error instanceof MedrecError && error.code === errorCodes.RPC_FAILED) &&
        !(error instanceof JsonRpcResponseError)
      )
        throw error
    }
    const missing = [...expected.values()].filter((name) => sealedBy[name] === undefined)
    waitingFor = `${missing.join(', ')} to seal a block (head at block ${head})`
    update(`${Object.keys(sealedBy).length}/${expected.size} signers have sealed; block ${head}`)
    if (missing.length > 0) await delay(rpcPollMs)
  }

  const allSealedAt = Date.now()

  // 3. Every sealer is connected to every other node (full mesh from the static peer lists).
  options.stage?.('peering')
  const wanted = allNodes.length - 1
  const peers: Record<string, number> = {}
  for (;;) {
    options.signal?.throwIfAborted()
    if (Date.now() > deadline) throw await timedOut()
    await assertNodesRunning(options.engine, allNodes, restartBaseline)
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
    update(
      `${options.sealers.length - short.length}/${options.sealers.length} sealers connected to all ${wanted} peers`,
    )
    if (short.length === 0) break
    waitingFor = `${short.map((s) => `${s.name} (${peers[s.name]}/${wanted} peers)`).join(', ')} to connect`
    await delay(ipcPollMs)
  }
  return {blockNumber: head, startBlock, sealedBy, peers, allSealedAt, restarts}
}

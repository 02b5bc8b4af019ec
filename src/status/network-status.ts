import {getAddress, type Address} from 'viem'

import {assessLiveness, type Liveness} from '../clique/assess-liveness.js'
import {headBlock} from '../clique/chain-head.js'
import {cliqueStatus} from '../clique/clique-status.js'
import {cliqueSignersAt} from '../clique/signers-at.js'
import {labelKeys, type ContainerEngine} from '../docker/container-engine.js'
import {gethIpcEval} from '../geth/geth-ipc.js'
import {rpcNodeName} from '../workspace/network-keys.js'
import {loadNetwork, rpcUrlOf} from '../workspace/load-network.js'
import {consortiumDrift} from '../consortium/list-providers.js'
import {listSealers} from '../sealers/list-sealers.js'
import {findNetworkResources} from '../workspace/network-resources.js'
import {readReconcilerReport, type ReconcilerReport} from '../reconciler/reconciler-status.js'

export type SealerStatus = {
  name: string
  address: Address
  /** Docker state of its container, or "missing". */
  container: string
  /** Connected peers (over IPC); null when the node cannot be asked. */
  peers: number | null
  /** Blocks it sealed among the last 64 (clique_status); null when the RPC node is down. */
  sealedRecently: number | null
  /** Whether it is in the current Clique signer set. */
  isSigner: boolean
}

export type NetworkStatus = {
  name: string
  chainId: number
  rpcUrl: string
  /** running: every node up; stopped: containers exist, none running; partial: some; not-created: none. */
  state: 'running' | 'stopped' | 'partial' | 'not-created'
  rpc: {container: string; reachable: boolean}
  blockNumber: number | null
  /** Seconds since the head block's timestamp. */
  headAgeSeconds: number | null
  signers: Address[]
  liveness: Liveness
  sealers: SealerStatus[]
  /**
   * Where the records disagree: the whitelist's sealing providers against the Clique
   * signers, and votes the tool intends that a sealer has lost. Empty when in step or
   * when the chain cannot be asked.
   */
  drift: string[]
  /** The vote reconciler: alive, starting, unhealthy, restarting, stopped, missing or disabled, and its last action. */
  reconciler: ReconcilerReport
}

/** Reads the network's state from Docker, the RPC node and each sealer's IPC. Never changes anything. */
export async function readNetworkStatus(options: {dir: string; engine: ContainerEngine}): Promise<NetworkStatus> {
  const network = await loadNetwork(options.dir)
  const {config, state, signers: genesisSigners} = network
  const engine = options.engine
  await engine.ping()
  const rpcUrl = rpcUrlOf(config)
  const {containers} = await findNetworkResources(engine, state.networkId)
  const byNode = new Map(
    containers.filter((c) => c.labels[labelKeys.role] !== 'init').map((c) => [c.labels[labelKeys.node], c]),
  )

  const rpcContainer = byNode.get(rpcNodeName)
  let blockNumber: number | null = null
  let headAgeSeconds: number | null = null
  let signers: Address[] = genesisSigners
  let activity: Record<string, number> | null = null
  if (rpcContainer?.state === 'running') {
    try {
      const head = await headBlock(rpcUrl)
      blockNumber = head.number
      headAgeSeconds = Math.max(0, Math.round(Date.now() / 1000 - head.timestamp))
      signers = await cliqueSignersAt(rpcUrl)
      activity = (await cliqueStatus(rpcUrl)).sealerActivity
    } catch {
      // Reported as unreachable below; status never fails because the chain is down.
    }
  }
  const signerSet = new Set(signers.map((s) => s.toLowerCase()))

  const sealers: SealerStatus[] = await Promise.all(
    config.sealers.map(async (sealer) => {
      const container = byNode.get(sealer.name)
      let peers: number | null = null
      if (container?.state === 'running') {
        peers = await gethIpcEval<number>(engine, container.id, sealer.name, 'admin.peers.length').catch(() => null)
      }
      return {
        name: sealer.name,
        address: getAddress(sealer.address),
        container: container?.state ?? 'missing',
        peers,
        sealedRecently: activity ? (activity[sealer.address.toLowerCase()] ?? 0) : null,
        isSigner: signerSet.has(sealer.address.toLowerCase()),
      }
    }),
  )

  const nodes = [...config.sealers.map((s) => s.name), rpcNodeName]
  const running = nodes.filter((n) => byNode.get(n)?.state === 'running').length
  const existing = nodes.filter((n) => byNode.has(n)).length
  const networkState: NetworkStatus['state'] =
    existing === 0 ? 'not-created' : running === nodes.length ? 'running' : running === 0 ? 'stopped' : 'partial'

  const liveness = assessLiveness({
    networkState,
    signerCount: signers.length,
    sealers,
    period: config.network.period,
    headAgeSeconds,
    rpcRunning: rpcContainer?.state === 'running',
    blockNumber,
  })

  return {
    name: config.network.name,
    chainId: config.network.chainId,
    rpcUrl,
    state: networkState,
    rpc: {container: rpcContainer?.state ?? 'missing', reachable: blockNumber !== null},
    blockNumber,
    headAgeSeconds,
    signers,
    liveness,
    sealers,
    drift: blockNumber === null ? [] : await readDrift(options.dir, engine),
    reconciler: await readReconcilerReport(engine, network),
  }
}

/** Whitelist drift (once a Consortium governs) and lost votes; a part that cannot be read is left out. */
async function readDrift(dir: string, engine: ContainerEngine): Promise<string[]> {
  const [whitelist, votes] = await Promise.all([
    consortiumDrift(dir).catch(() => null),
    listSealers({dir, engine})
      .then((l) => l.drift)
      .catch(() => []),
  ])
  return [...(whitelist ?? []), ...votes]
}

// The chaos soak (issue 11), one engine for the end-to-end test and the benchmark: a real
// network of 3 sealers (period 1 s) with the MedRec contracts, a client sending relationship
// transactions without pause, and one sealer at a time killed, restarted or cut off. At the end
// every node must hold the same chain, every transaction that got a receipt must be in it, and
// the signer set must be the one intended. It reports the figures; callers assert or record them.
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

import Docker from 'dockerode'
import {getAddress, type Address, type Hash} from 'viem'

import {callJsonRpc} from '../../src/chain/json-rpc.js'
import {signerOfBlock} from '../../src/clique/signer-of-block.js'
import {cliqueSignersAt} from '../../src/clique/signers-at.js'
import {findFreePort} from '../../src/contracts/anvil.js'
import {labelKeys} from '../../src/docker/container-engine.js'
import {DockerodeEngine, demuxDockerBuffer} from '../../src/docker/dockerode-engine.js'
import {gethIpcEval} from '../../src/geth/geth-ipc.js'
import {pollUntil} from '../../src/wait/poll-until.js'
import {loadNetwork} from '../../src/workspace/load-network.js'
import {rpcNodeName} from '../../src/workspace/network-keys.js'
import {resourceNames} from '../../src/workspace/network-resources.js'
import {startRelationshipLoad, type Refusal, type RelationshipLoad} from './chaos-soak-client.js'
import {
  describeCluster,
  faultKinds,
  hashAt,
  headOf,
  runFaultSchedule,
  SoakFailure,
  type AppliedFault,
  type FaultKind,
  type SoakCluster,
  type SoakNode,
} from './chaos-soak-faults.js'
import {
  assessLedger,
  blockGaps,
  countLoggedReorgs,
  longestBlockGap,
  reorganisedHeights,
  type CanonicalBlock,
  type LedgerVerdict,
} from './chaos-soak-ledger.js'
import {medrecIn, runMedrec} from './run-medrec.js'

export type ChaosSoakOptions = {
  /** The network's name: prefixes every Docker object, so make it unique to the caller. */
  name: string
  /** How long faults are applied (at least one of each kind is, however short this is). */
  faultMs: number
  /** geth's light scrypt for the sealers' keys (throwaway chains); standard keys otherwise. */
  lightKdf: boolean
  /** Patients, each with one relationship driven round after round (default 4). */
  patients?: number
  /** How long a killed sealer stays down (default 3–8 s). */
  downMs?: readonly [number, number]
  /**
   * How long a cut-off sealer stays off the Docker network (default 3–8 s: its peers' TCP
   * links outlive that; beyond geth's 30 s read time-out they drop and must be dialled again).
   */
  partitionMs?: readonly [number, number]
  /** Healthy time between a recovery and the next fault (default 3–10 s). */
  pauseMs?: readonly [number, number]
  /** How long a sealer may take to be back in every respect (default 120 s). */
  recoveryTimeoutMs?: number
  /** How long the nodes may take to agree once the client stopped (default 120 s). */
  settleTimeoutMs?: number
  log?: (line: string) => void
  /** Called once the network's name is in use, so a caller can clean up after a crash of its own. */
  onNetwork?: (name: string) => void
}

export type ChaosSoakReport = {
  network: {name: string; sealers: number; periodSeconds: number; keys: 'light' | 'standard'; patients: number}
  durationsMs: {setup: number; faults: number; settle: number; total: number}
  transactions: Omit<LedgerVerdict, 'lost' | 'reincludedAfterReorg' | 'reverted'> & {
    lost: number
    lostHashes: Hash[]
    reincludedAfterReorg: number
    reincludedHashes: Hash[]
    reverted: number
    revertedHashes: Hash[]
    /** Transactions the client, about to act on, found in another block than their receipt's, or in none. */
    receiptsMovedSeenByClient: number
    /** Actions that failed before anything was signed (the node did not answer, a refusal). */
    refusedBeforeSending: number
    refusals: Refusal[]
    perAction: Record<string, number>
  }
  blocks: {
    first: number
    last: number
    count: number
    longestGapSeconds: number
    longestGapBeforeBlock: number | null
    /**
     * Every gap of 3 s or more (3 periods), to set beside the faults' times, with who sealed
     * the two blocks before it and the block that ended it.
     */
    gapsOf3sOrMore: {
      beforeBlock: number
      seconds: number
      endedAt: string
      sealedBy: string[]
      /** Each node's log lines around a gap of 5 s or more (the first 10 such gaps). */
      logs?: Record<string, string[]>
    }[]
    /** The longest the RPC node's head stayed the same, by the wall clock (polled every 250 ms). */
    longestHeadStallMs: number
  }
  faults: {
    applied: Record<FaultKind, number>
    longestRecoveryMs: number
    list: AppliedFault[]
  }
  reorgs: {
    /** Heights where a head the RPC node showed was later replaced. */
    seenByRpcNode: number
    /** geth's own "Chain reorg detected" lines per node during the soak, and the deepest drop. */
    loggedByNode: Record<string, {count: number; deepestDrop: number}>
  }
  heads: {agree: boolean; height: number; hash: string; nodes: Record<string, {number: number; hash: string}>}
  signers: {intended: Address[]; atRpcNode: Address[]; bySealer: Record<string, Address[]>; matches: boolean}
}

const provider = 'mercy'

/** Runs the whole soak and removes its network afterwards, whatever happened. */
export async function runChaosSoak(options: ChaosSoakOptions): Promise<ChaosSoakReport> {
  const log = options.log ?? (() => {})
  const began = Date.now()
  const dir = await mkdtemp(join(tmpdir(), `medrec-${options.name}-`))
  const engine = new DockerodeEngine()
  const docker = new Docker()
  const medrec = medrecIn(dir)
  const patients = Array.from({length: options.patients ?? 4}, (_, i) => `patient-${i + 1}`)
  let cluster: SoakCluster | undefined
  let load: RelationshipLoad | undefined
  const watcher = new HeadWatcher()
  try {
    // Given a network with the contracts, a provider, a viewer and registered patients
    const rpcPort = await findFreePort()
    const kdf = options.lightKdf ? ['--light-kdf'] : []
    const init = await runMedrec([
      ...['network', 'init', '--dir', dir, '--name', options.name, '--period', '1'],
      ...['--rpc-port', String(rpcPort), '--json', ...kdf],
    ])
    if (init.exitCode !== 0) throw new Error(`network init failed: ${init.stdout}\n${init.stderr}`)
    options.onNetwork?.(options.name)
    log(`network up (${options.name}, ${options.lightKdf ? 'light' : 'standard'} keys)`)
    await medrec('network', 'up')
    log('contracts deploy, provider, viewer and patients')
    await medrec('contracts', 'deploy')
    await medrec('provider', 'add', provider)
    const viewer = (await medrec('account', 'create', 'viewer', '--light-kdf', '--fund', '0')).address as Address
    for (const [i, patient] of patients.entries()) {
      await medrec('account', 'create', patient, '--light-kdf')
      const localId = `SOAK-${i + 1}`
      const register = ['register', 'patient', '--local-id', localId, '--account', patient, '--consent']
      await medrec('registrar', ...register, '--as', provider)
    }
    cluster = await soakCluster(dir, engine, docker)
    const rpc = cluster.nodes.find((n) => n.role === 'rpc')!
    const setupMs = Date.now() - began

    // When a client sends relationship transactions without pause
    const soakStartedAt = new Date()
    const firstBlock = (await headOf(cluster, rpc)).number
    watcher.start(cluster.rpcUrl)
    load = await startRelationshipLoad({dir, steward: provider, patients, viewer, log})
    const running = load
    await pollUntil('the client to have a first receipt', Date.now() + 60_000, async () =>
      running.receipts() > 0 ? true : undefined,
    )

    // And one sealer at a time is killed, restarted or cut off, each back before the next
    log(`faults for ${Math.round(options.faultMs / 1000)} s`)
    const faultsBegan = Date.now()
    const faults = await runFaultSchedule(cluster, {
      durationMs: options.faultMs,
      downMs: options.downMs ?? [3000, 8000],
      partitionMs: options.partitionMs ?? [3000, 8000],
      pauseMs: options.pauseMs ?? [3000, 10_000],
      recoveryTimeoutMs: options.recoveryTimeoutMs ?? 120_000,
      log,
    })
    const faultsMs = Date.now() - faultsBegan

    // Then, once the client stops and the chain settles, every node holds the same chain
    const settleBegan = Date.now()
    await load.stop(Date.now() + 90_000)
    const lastReceiptBlock = Math.max(firstBlock, ...load.transactions.map((tx) => tx.receipt?.blockNumber ?? 0))
    log(`client stopped (${load.transactions.length} sent); settling past block ${lastReceiptBlock}`)
    const heads = await awaitHeadsAgree(cluster, lastReceiptBlock + 3, options.settleTimeoutMs ?? 120_000)
    const settleMs = Date.now() - settleBegan
    await watcher.stop()

    // And every transaction with a receipt is in it, and the signer set is the intended one
    const chain = await canonicalChain(cluster.rpcUrl, firstBlock, heads.height)
    const verdict = assessLedger(load.transactions, chain)
    const gap = longestBlockGap(chain)
    const signers = await signerSets(dir, cluster, heads.height)
    const loggedByNode = await loggedReorgs(cluster, soakStartedAt)
    const perAction: Record<string, number> = {}
    for (const tx of load.transactions) perAction[tx.action] = (perAction[tx.action] ?? 0) + 1
    const {lost, reincludedAfterReorg, reverted, ...counts} = verdict
    return {
      network: {
        name: options.name,
        sealers: cluster.nodes.filter((n) => n.role === 'sealer').length,
        periodSeconds: 1,
        keys: options.lightKdf ? 'light' : 'standard',
        patients: patients.length,
      },
      durationsMs: {setup: setupMs, faults: faultsMs, settle: settleMs, total: Date.now() - began},
      transactions: {
        ...counts,
        lost: lost.length,
        lostHashes: lost,
        reincludedAfterReorg: reincludedAfterReorg.length,
        reincludedHashes: reincludedAfterReorg,
        reverted: reverted.length,
        revertedHashes: reverted,
        receiptsMovedSeenByClient: load.transactions.filter((tx) => (tx.receiptMoves ?? 0) > 0).length,
        refusedBeforeSending: load.refusals.length,
        refusals: load.refusals,
        perAction,
      },
      blocks: {
        first: firstBlock,
        last: heads.height,
        count: chain.length,
        longestGapSeconds: gap.seconds,
        longestGapBeforeBlock: gap.beforeBlock,
        gapsOf3sOrMore: await logsAroundGaps(cluster, await withSigners(cluster, blockGaps(chain, 3))),
        longestHeadStallMs: watcher.longestStallMs,
      },
      faults: {
        applied: Object.fromEntries(faultKinds.map((k) => [k, faults.filter((f) => f.kind === k).length])) as Record<
          FaultKind,
          number
        >,
        longestRecoveryMs: Math.max(0, ...faults.map((f) => f.recoveredAfterMs)),
        list: faults,
      },
      reorgs: {seenByRpcNode: reorganisedHeights(watcher.seen, chain).length, loggedByNode},
      heads,
      signers,
    }
  } catch (error) {
    throw await withFullLogs(error, options.name, cluster)
  } finally {
    await watcher.stop()
    await load?.stop(Date.now()).catch(() => undefined)
    const destroyed = await runMedrec(['network', 'destroy', '--force', '--dir', dir, '--json'])
    if (destroyed.exitCode !== 0) log(`network destroy failed: ${destroyed.stdout}${destroyed.stderr}`)
    await rm(dir, {recursive: true, force: true})
  }
}

/** The network's nodes as the soak addresses them: containers, IPs on the Docker network, signer addresses. */
async function soakCluster(dir: string, engine: DockerodeEngine, docker: Docker): Promise<SoakCluster> {
  const network = await loadNetwork(dir)
  const names = resourceNames(network.config.network.name)
  const containers = await engine.listContainers({[labelKeys.networkId]: network.state.networkId})
  const containerOf = (node: string) => {
    const found = containers.find((c) => c.labels[labelKeys.node] === node && c.labels[labelKeys.role] !== 'init')
    if (!found) throw new Error(`no container for ${node}`)
    return found.id
  }
  const nodes: SoakNode[] = network.config.sealers.map((s) => ({
    name: s.name,
    role: 'sealer',
    containerId: containerOf(s.name),
    ip: network.state.ips[s.name]!,
    address: getAddress(s.address),
  }))
  nodes.push({
    name: rpcNodeName,
    role: 'rpc',
    containerId: containerOf(rpcNodeName),
    ip: network.state.ips[rpcNodeName]!,
  })
  const rpcUrl = `http://127.0.0.1:${network.config.rpc.port}`
  return {engine, docker, dockerNetwork: names.network, rpcUrl, nodes}
}

/**
 * Polls the RPC node's head every 250 ms, keeping every hash it showed at each height (so
 * blocks it later reorganised away can be counted against the final chain) and the longest
 * wall-clock time its head did not change (block timestamps have whole seconds only).
 */
class HeadWatcher {
  readonly seen = new Map<number, Set<string>>()
  longestStallMs = 0
  private running = false
  private loop: Promise<void> | undefined

  start(rpcUrl: string): void {
    this.running = true
    let head: string | undefined
    let changedAt = Date.now()
    this.loop = (async () => {
      while (this.running) {
        const block = await callJsonRpc<{number: string; hash: string}>(rpcUrl, 'eth_getBlockByNumber', [
          'latest',
          false,
        ]).catch(() => undefined)
        const now = Date.now()
        if (block) {
          const height = Number(block.number)
          if (!this.seen.has(height)) this.seen.set(height, new Set())
          this.seen.get(height)!.add(block.hash)
          if (block.hash !== head) {
            head = block.hash
            changedAt = now
          }
        }
        this.longestStallMs = Math.max(this.longestStallMs, now - changedAt)
        await delay(250)
      }
    })()
  }

  async stop(): Promise<void> {
    this.running = false
    await this.loop
  }
}

/**
 * Waits until every node (sealers over IPC, the RPC node over HTTP) holds the same block at
 * one height of at least `minHeight`: the lowest head among them, so each has it.
 */
async function awaitHeadsAgree(
  cluster: SoakCluster,
  minHeight: number,
  timeoutMs: number,
): Promise<ChaosSoakReport['heads']> {
  let last = ''
  return pollUntil(
    () => `every node to hold the same block at a height of at least ${minHeight} (${last})`,
    Date.now() + timeoutMs,
    async () => {
      const heads = await Promise.all(cluster.nodes.map((node) => headOf(cluster, node)))
      const height = Math.min(...heads.map((h) => h.number))
      const hashes = await Promise.all(cluster.nodes.map((node) => hashAt(cluster, node, height)))
      last = cluster.nodes.map((n, i) => `${n.name} head ${heads[i]!.number}, ${hashes[i]} at ${height}`).join('; ')
      if (height < minHeight || new Set(hashes).size !== 1 || hashes[0] === null) return undefined
      const nodes = Object.fromEntries(
        cluster.nodes.map((n, i) => [n.name, {number: heads[i]!.number, hash: heads[i]!.hash}]),
      )
      return {agree: true, height, hash: hashes[0]!, nodes}
    },
    {
      interval: 1000,
      retryable: () => true,
      onTimeout: async () => ({details: await describeCluster(cluster)}),
    },
  )
}

/** The RPC node's canonical blocks from `from` to `to`, with their transactions' hashes. */
async function canonicalChain(rpcUrl: string, from: number, to: number): Promise<CanonicalBlock[]> {
  const blocks: CanonicalBlock[] = []
  for (let start = from; start <= to; start += 16) {
    const numbers = Array.from({length: Math.min(16, to - start + 1)}, (_, i) => start + i)
    const fetched = await Promise.all(
      numbers.map((n) =>
        callJsonRpc<{number: string; hash: Hash; timestamp: string; transactions: Hash[]}>(
          rpcUrl,
          'eth_getBlockByNumber',
          [`0x${n.toString(16)}`, false],
          10_000,
        ),
      ),
    )
    for (const b of fetched)
      blocks.push({
        number: Number(b.number),
        hash: b.hash,
        timestamp: Number(b.timestamp),
        transactions: b.transactions,
      })
  }
  return blocks
}

/** Names who sealed the two blocks before each gap and the one that ended it. */
async function withSigners<T extends {beforeBlock: number}>(
  cluster: SoakCluster,
  gaps: T[],
): Promise<(T & {sealedBy: string[]})[]> {
  const nameOf = new Map(cluster.nodes.map((n) => [n.address, n.name]))
  return Promise.all(
    gaps.map(async (gap) => {
      const blocks = [gap.beforeBlock - 2, gap.beforeBlock - 1, gap.beforeBlock]
      const signers = await Promise.all(blocks.map((b) => signerOfBlock(cluster.rpcUrl, b).catch(() => undefined)))
      return {...gap, sealedBy: signers.map((a, i) => `${blocks[i]}: ${(a && nameOf.get(a)) ?? a ?? '?'}`)}
    }),
  )
}

/** The signer set medrec.yaml intends, beside the one the RPC node and each sealer hold. */
async function signerSets(dir: string, cluster: SoakCluster, height: number): Promise<ChaosSoakReport['signers']> {
  const sort = (list: readonly string[]) => list.map((a) => getAddress(a)).sort()
  const intended = sort((await loadNetwork(dir)).config.sealers.map((s) => s.address))
  const atRpcNode = sort(await cliqueSignersAt(cluster.rpcUrl, height))
  const bySealer: Record<string, Address[]> = {}
  for (const node of cluster.nodes.filter((n) => n.role === 'sealer'))
    bySealer[node.name] = sort(
      await gethIpcEval<string[]>(
        cluster.engine,
        node.containerId,
        node.name,
        `clique.getSigners("0x${height.toString(16)}")`,
      ),
    )
  const same = (list: readonly string[]) => list.join() === intended.join()
  return {intended, atRpcNode, bySealer, matches: same(atRpcNode) && Object.values(bySealer).every(same)}
}

/** A node's log (geth writes to stderr), optionally between two times (epoch seconds), with Docker's timestamps. */
async function nodeLog(
  cluster: SoakCluster,
  node: SoakNode,
  window: {since?: number; until?: number; timestamps?: boolean} = {},
): Promise<string> {
  const raw = await cluster.docker.getContainer(node.containerId).logs({
    stdout: true,
    stderr: true,
    follow: false,
    timestamps: window.timestamps ?? false,
    ...(window.since === undefined ? {} : {since: window.since}),
    ...(window.until === undefined ? {} : {until: window.until}),
  })
  const {stdout, stderr} = demuxDockerBuffer(raw as unknown as Buffer)
  return stdout + stderr
}

/** geth's reorg log lines on each node since the soak began. */
async function loggedReorgs(cluster: SoakCluster, since: Date): Promise<ChaosSoakReport['reorgs']['loggedByNode']> {
  const result: ChaosSoakReport['reorgs']['loggedByNode'] = {}
  for (const node of cluster.nodes)
    result[node.name] = countLoggedReorgs(await nodeLog(cluster, node, {since: Math.floor(since.getTime() / 1000)}))
  return result
}

/**
 * Each node's log lines around a long gap (from 3 s before it began to 2 s after it ended),
 * so a stall can be explained from the report alone. Only the first few gaps of 5 s or more.
 */
async function logsAroundGaps<T extends {seconds: number; endedAt: string}>(
  cluster: SoakCluster,
  gaps: T[],
): Promise<(T & {logs?: Record<string, string[]>})[]> {
  let explained = 0
  const result: (T & {logs?: Record<string, string[]>})[] = []
  for (const gap of gaps) {
    if (gap.seconds < 5 || explained++ >= 10) {
      result.push(gap)
      continue
    }
    const ended = Math.floor(new Date(gap.endedAt).getTime() / 1000)
    const window = {since: ended - gap.seconds - 3, until: ended + 2, timestamps: false}
    const logs: Record<string, string[]> = {}
    for (const node of cluster.nodes)
      logs[node.name] = (await nodeLog(cluster, node, window).catch(() => '')).trimEnd().split('\n')
    result.push({...gap, logs})
  }
  return result
}

/**
 * A failed soak keeps its evidence: every node's whole log goes to a directory named in the
 * error, and the error carries what each node was doing (a flaky result is a bug to root-cause).
 */
async function withFullLogs(error: unknown, name: string, cluster: SoakCluster | undefined): Promise<unknown> {
  if (!cluster) return error
  const logDir = join(tmpdir(), `medrec-soak-logs-${name}-${Date.now()}`)
  try {
    await mkdir(logDir, {recursive: true})
    for (const node of cluster.nodes)
      await writeFile(join(logDir, `${node.name}.log`), await nodeLog(cluster, node, {timestamps: true}))
  } catch {
    return error
  }
  // A timed-out wait (MedrecError) carries what each node was doing in its details.
  const details = (error as {details?: unknown}).details
  const said = Array.isArray(details) ? details.map(String) : []
  const state =
    error instanceof SoakFailure || said.length > 0 ? [] : await describeCluster(cluster, 20).catch(() => [])
  const message = [(error as Error).message, ...said, `Every node's full log: ${logDir}`, ...state].join('\n')
  return Object.assign(new SoakFailure(message), {cause: error})
}

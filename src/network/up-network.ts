import type {Address} from 'viem'

import type {ReconcileReport} from '../clique/reissue-votes.js'
import type {NetworkConfig} from '../config/network-config.js'
import {profileSettings, reconcilerEnabled, type NetworkProfile} from '../config/network-profile.js'
import {labelKeys, type ContainerEngine, type ContainerInfo} from '../docker/container-engine.js'
import {connectToDocker} from '../docker/connect-docker.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {gethGenesisToml} from '../geth/geth-genesis-toml.js'
import {gethConfigToml, rpcP2pPort} from '../geth/geth-node-command.js'
import {pinnedGethImage} from '../geth/geth-version.js'
import {buildGethImage} from '../image/build-geth-image.js'
import {ensureGethImage, type CheckedGethImage} from '../image/geth-image.js'
import {enodeUrl} from '../keys/node-key.js'
import {runStep, silentProgress, type ProgressListener} from '../progress/progress-events.js'
import {ensureReconcilerImage, type ReconcilerImage} from '../reconciler/build-reconciler-image.js'
import {
  ensureReconcilerRunning,
  removeReconciler,
  stopReconciler,
  type ReconcilerDeployAction,
} from '../reconciler/deploy-reconciler.js'
import {applyUp, type ApplyUpContext} from './apply-up.js'
import {initNetwork, isNetworkInitialised, type InitNetworkOptions} from './init-network.js'
import {readKeystoreAddress, rpcNodeName} from '../workspace/network-keys.js'
import {reconcilerNodeName} from '../workspace/reconciler-names.js'
import type {NodePlan, NodeSecrets} from './init-node-volume.js'
import {loadNetwork, rpcUrlOf, type LoadedNetwork} from '../workspace/load-network.js'
import {readKeyFile} from '../workspace/network-files.js'
import {changeNetworkState} from '../workspace/network-state.js'
import {
  chooseFreeSubnet,
  findLabelledResources,
  findNetworkResources,
  nodeIp,
  resourceNames,
} from '../workspace/network-resources.js'
import {containerSpecFor, specLabel} from './node-container-spec.js'
import {planUp, type UpDesired} from './plan-up.js'
import {assertPortFree} from './port-check.js'

export type UpNetworkOptions = {
  dir: string
  engine: ContainerEngine
  progress?: ProgressListener
  /** Overall deadline for the network to become ready. */
  timeoutMs?: number
  /** Build the pinned image locally when it is missing and cannot be pulled (default true). */
  buildImage?: boolean
  /** Used only when the directory has no medrec.yaml yet. */
  init?: Omit<InitNetworkOptions, 'dir' | 'force'>
  /**
   * Aborts `up` (Ctrl-C): it throws the signal's reason at the next step or poll, and a first
   * start removes what it created, as when it fails.
   */
  signal?: AbortSignal
}

export type UpNetworkResult = {
  name: string
  rpcUrl: string
  chainId: number
  blockNumber: number
  signers: Address[]
  /**
   * created: first start; updated: containers added or replaced after a config change; started: stopped
   * containers restarted; unchanged: already running.
   */
  action: 'created' | 'updated' | 'started' | 'unchanged'
  initialised: boolean
  /** Recorded sealer votes cast again after restarts, and those whose change has passed. */
  votes: ReconcileReport
  /** From the start of `up` until every signer had sealed a block, and until fully ready. */
  timings: {allSealedMs: number; readyMs: number}
  /** Times the sealers were restarted to get past a stalled chain (a last resort; 0 when healthy). */
  restarts: number
  /**
   * The vote reconciler's container after `up` (created, recreated for a new image, started, unchanged;
   * removed or disabled when medrec.yaml turns it off) and its image.
   */
  reconciler: {action: ReconcilerDeployAction | 'removed' | 'disabled'; image: string | null}
  /** A throwaway network had stopped, losing its chain in memory: this `up` created a new one from genesis. */
  chainRecreated: boolean
  /** The network's profile (medrec.yaml `profile`). */
  profile: NetworkProfile
  sealers: {name: string; address: Address; container: string; ip: string}[]
}

const rpcHostNumber = 5
const firstSealerHostNumber = 10

/** Fixed IPs keep every enode URL valid across restarts; assignments live in state.json. */
function assignIps(loaded: LoadedNetwork, subnet: string): Record<string, string> {
  const ips = {...loaded.state.ips}
  const taken = new Set(Object.values(ips))
  if (!ips[rpcNodeName]) ips[rpcNodeName] = nodeIp(subnet, rpcHostNumber)
  let next = firstSealerHostNumber
  for (const sealer of loaded.config.sealers) {
    if (ips[sealer.name]) continue
    while (taken.has(nodeIp(subnet, next))) next++
    if (next > 254)
      throw new MedrecError(errorCodes.SUBNET_EXHAUSTED, `Subnet ${subnet} has no free address for ${sealer.name}.`)
    ips[sealer.name] = nodeIp(subnet, next)
    taken.add(ips[sealer.name]!)
  }
  return ips
}

function nodePlans(config: NetworkConfig, ips: Record<string, string>): NodePlan[] {
  return [
    ...config.sealers.map((s) => ({
      name: s.name,
      role: 'sealer' as const,
      ip: ips[s.name]!,
      p2pPort: s.p2pPort,
      address: s.address as Address,
    })),
    {name: rpcNodeName, role: 'rpc' as const, ip: ips[rpcNodeName]!, p2pPort: rpcP2pPort},
  ]
}

/** Reads every node's keys before anything is created, naming the node whose file is missing. */
async function readNodeSecrets(loaded: LoadedNetwork, plans: NodePlan[]) {
  const secrets = new Map<string, NodeSecrets>()
  for (const plan of plans) {
    const files = loaded.paths.node(plan.name)
    const nodeKey = (await readKeyFile(files.nodeKey, plan.name)).trim()
    if (plan.role === 'rpc') {
      secrets.set(plan.name, {nodeKey})
      continue
    }
    const keystore = await readKeyFile(files.keystore, plan.name)
    const password = await readKeyFile(files.password, plan.name)
    const address = await readKeystoreAddress(loaded.paths, plan.name)
    if (address.toLowerCase() !== plan.address!.toLowerCase()) {
      throw new MedrecError(
        errorCodes.KEYSTORE_INVALID,
        `${plan.name}: its keystore holds ${address}, but medrec.yaml says ${plan.address}.`,
        {
          hint: `Restore ${files.keystore} from your backup, or correct sealers[].address for ${plan.name}.`,
        },
      )
    }
    secrets.set(plan.name, {nodeKey, keystore, password: password.trimEnd()})
  }
  return secrets
}

/**
 * Refuses to touch Docker objects of a same-named network that belongs to another
 * directory (another network id): reusing its volume would mix two chains.
 */
async function assertNoForeignNetwork(engine: ContainerEngine, name: string, networkId: string): Promise<void> {
  const {containers, volumes, networks} = await findLabelledResources(engine, {[labelKeys.network]: name})
  const foreign = [
    ...containers.map((c) => ({kind: 'container', name: c.name, labels: c.labels})),
    ...volumes.map((v) => ({kind: 'volume', name: v.name, labels: v.labels})),
    ...networks.map((n) => ({kind: 'network', name: n.name, labels: n.labels})),
  ].find((o) => o.labels[labelKeys.networkId] !== networkId)
  if (foreign) {
    throw new MedrecError(
      errorCodes.NAME_CONFLICT,
      `A MedRec network named "${name}" from another directory already exists on this Docker engine \
(${foreign.kind} ${foreign.name}).`,
      {
        hint:
          "Choose another network.name in medrec.yaml, or run `medrec network destroy` in that network's own " +
          'directory. Nothing was created.',
      },
    )
  }
}

/**
 * The configured image, checked to run geth 1.13.x. When it is the pinned image and can
 * neither be found nor pulled (no registry reachable), it is built locally, with progress.
 */
async function obtainGethImage(
  engine: ContainerEngine,
  reference: string,
  knownVersions: Record<string, string>,
  progress: ProgressListener,
  build: boolean,
): Promise<CheckedGethImage> {
  try {
    return await runStep(
      progress,
      'image',
      `Checking image ${reference}`,
      () => ensureGethImage(engine, reference, {knownVersions}),
      (i) => `geth ${i.version}${i.pulled ? ' (pulled)' : ''}`,
    )
  } catch (error) {
    if (
      !(error instanceof MedrecError && error.code === errorCodes.IMAGE_MISSING) ||
      reference !== pinnedGethImage ||
      !build
    )
      throw error
    progress({
      type: 'warning',
      message: `${reference} could not be pulled; building it locally (\`medrec image build\`).`,
    })
    await buildGethImage(engine, {tag: reference, progress})
    return ensureGethImage(engine, reference, {knownVersions, allowPull: false})
  }
}

/** Brings the network up: creates it the first time, restarts it when stopped, leaves it when running. */
export async function upNetwork(options: UpNetworkOptions): Promise<UpNetworkResult> {
  const started = Date.now()
  const {plan, context, initialised, applied, reconciler} = await reconcileWithFreeSubnet(options)
  const {network} = context
  const {config} = network
  const names = resourceNames(config.network.name)
  const ready = applied.ready!
  return {
    name: config.network.name,
    rpcUrl: rpcUrlOf(config),
    chainId: config.network.chainId,
    blockNumber: ready.blockNumber,
    signers: network.signers,
    action: plan.action,
    initialised,
    timings: {allSealedMs: ready.allSealedAt - started, readyMs: Date.now() - started},
    restarts: ready.restarts,
    chainRecreated: plan.chainDiscarded === true,
    profile: config.profile,
    votes: applied.votes,
    reconciler,
    sealers: context.nodes
      .filter((n) => n.role === 'sealer')
      .map((n) => ({name: n.name, address: n.address!, container: names.container(n.name), ip: n.ip})),
  }
}

/**
 * Takes nodes out of a running network (a sealer voted out): their containers and volumes
 * go, the running nodes forget them, and state.json no longer gives them an address. The
 * other nodes are left as they are. Their entries in medrec.yaml are the caller's to remove.
 */
export async function removeNetworkNodes(options: {
  dir: string
  engine: ContainerEngine
  nodes: string[]
}): Promise<void> {
  await reconcileNetwork(
    {dir: options.dir, engine: options.engine},
    {remove: options.nodes, only: options.nodes, awaitReady: false},
  )
}

/** How often a first start looks for another free subnet when one it chose was taken meanwhile. */
const subnetAttempts = 3

/**
 * reconcileNetwork, tried again when a subnet the tool chose itself was taken between
 * finding it free and creating the Docker network (two `network up` on one engine at once).
 * The failed first start has rolled back and forgotten that subnet, so the next attempt
 * observes the other network and picks another. A subnet from medrec.yaml or state.json is
 * never swapped: that error goes to the user.
 */
async function reconcileWithFreeSubnet(options: UpNetworkOptions) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await reconcileNetwork(options, {})
    } catch (error) {
      if (!(error instanceof MedrecError) || error.code !== errorCodes.SUBNET_TAKEN || attempt >= subnetAttempts) {
        throw error
      }
      const network = await loadNetwork(options.dir)
      if (network.config.network.subnet !== undefined || network.state.subnet !== undefined) throw error
    }
  }
}

/** Observes Docker and the network's files, plans (planUp), and applies the plan (applyUp). */
async function reconcileNetwork(
  options: UpNetworkOptions,
  scope: Partial<Pick<UpDesired, 'remove' | 'only' | 'awaitReady'>>,
) {
  const progress = options.progress ?? silentProgress
  const engine = options.engine
  const timeoutMs = options.timeoutMs ?? 120_000
  const removing = new Set(scope.remove ?? [])

  // Pre-flight: nothing is created until every check has passed. Local files are checked
  // first (cheap, and the more useful message); Docker before init writes any file; the
  // port before an image build that may take minutes.
  const exists = await isNetworkInitialised(options.dir)
  let loaded = exists ? await loadNetwork(options.dir) : undefined
  await connectToDocker(engine, progress)
  const initialised = !exists
  if (!loaded) {
    await runStep(
      progress,
      'init',
      'Creating a default network (medrec.yaml, genesis.json, keys)',
      () => initNetwork({...options.init, dir: options.dir}),
      (r) => `${r.sealers.length} sealers, chain id ${r.chainId}`,
    )
    loaded = await loadNetwork(options.dir)
  }
  const network = loaded
  const {config, state} = network
  const tmpfs = profileSettings(config.profile).chainData === 'tmpfs'
  const names = resourceNames(config.network.name)

  const observedAll = await runStep(progress, 'preflight', 'Checking names, ports and keys', async () => {
    await assertNoForeignNetwork(engine, config.network.name, state.networkId)
    const existing = await findNetworkResources(engine, state.networkId)
    // A resumed first up keeps the subnet of the Docker network it already made.
    const existingSubnet = existing.networks.find((n) => n.name === names.network)?.subnets[0]
    const subnet =
      state.subnet ?? existingSubnet ?? config.network.subnet ?? chooseFreeSubnet(await engine.listAllSubnets())
    if (!subnet)
      throw new MedrecError(errorCodes.SUBNET_EXHAUSTED, 'No free /24 subnet in 10.213.0.0/16 for this network.', {
        hint: 'Set network.subnet in medrec.yaml to a free /24.',
      })
    const ips = assignIps(network, subnet)
    const allNodes = nodePlans(config, ips)
    const nodes = allNodes.filter((n) => !removing.has(n.name))
    const specs = new Map(nodes.map((n) => [n.name, containerSpecFor(network, n)]))
    const containers = new Map<string, ContainerInfo>()
    for (const c of existing.containers) {
      const node = c.labels[labelKeys.node]
      if (node && (c.labels[labelKeys.role] === 'sealer' || c.labels[labelKeys.role] === 'rpc')) containers.set(node, c)
    }
    // A new node's database is empty: geth takes the genesis from config.toml (no `geth init`
    // container per node). Translated here, so that chain data on tmpfs, which needs it at every
    // start, refuses a genesis.json it cannot carry before anything is created; a volume then
    // gets `geth init` as before.
    const genesisToml = tmpfs ? gethGenesisToml(network.genesis) : translatableGenesis(network.genesis)
    const rpc = containers.get(rpcNodeName)
    const rpcKeepsPort = rpc?.state === 'running' && rpc.labels[specLabel] === specs.get(rpcNodeName)!.labels[specLabel]
    if (!rpcKeepsPort) await assertPortFree(config.rpc.host, config.rpc.port, 'rpc.port')
    const secrets = await readNodeSecrets(network, nodes)
    const enodes = new Map<string, string>()
    for (const n of allNodes) {
      const nodeKey =
        secrets.get(n.name)?.nodeKey ?? (await readKeyFile(network.paths.node(n.name).nodeKey, n.name)).trim()
      enodes.set(n.name, enodeUrl(nodeKey, n.ip, n.p2pPort))
    }
    return {existing, subnet, ips, nodes, specs, containers, secrets, enodes, genesisToml}
  })
  options.signal?.throwIfAborted()
  const image = await obtainGethImage(engine, config.image, state.imageVersions, progress, options.buildImage ?? true)
  // Recorded now, on state.json as it is (only this field): nothing else writes the whole state back.
  if (state.imageVersions[image.imageId] !== image.version) {
    await changeNetworkState(network, (current) => {
      current.imageVersions[image.imageId] = image.version
    })
  }
  // Built (or found current) before anything is created, like the geth image.
  const reconcilerImage = reconcilerEnabled(config) ? await ensureReconcilerImage(engine, {progress}) : undefined

  const {existing, nodes, specs, containers} = observedAll
  const volumes = new Set(existing.volumes.map((v) => v.name))
  const plan = planUp(
    {
      nodes: nodes.map((n) => ({name: n.name, role: n.role, specHash: specs.get(n.name)!.labels[specLabel]!})),
      chainData: profileSettings(config.profile).chainData,
      genesisBy: observedAll.genesisToml === undefined ? 'init' : 'config',
      ...scope,
    },
    {
      containers: [...containers].map(([name, c]) => ({name, state: c.state, specHash: c.labels[specLabel]})),
      anyContainer: existing.containers.some((c) => c.labels[labelKeys.role] !== 'reconciler'),
      networkExists: existing.networks.some((n) => n.name === names.network),
      volumes: [...allNodeNames(config)].filter((name) => volumes.has(names.volume(name))),
      firstUpCompleted: network.state.firstUpCompletedAt !== undefined,
      recordedVotes: Object.keys(network.state.votes).length > 0,
    },
  )
  const context: ApplyUpContext = {
    engine,
    network,
    progress,
    ...(options.signal ? {signal: options.signal} : {}),
    timeoutMs,
    nodes,
    specs,
    containers,
    secrets: observedAll.secrets,
    enodes: observedAll.enodes,
    subnet: observedAll.subnet,
    ips: observedAll.ips,
    // On a volume the database keeps its genesis: later copies of config.toml leave it out, so a
    // chain made by `geth init` before is never checked against a translation.
    configToml: (staticPeers, trustedPeers, toml) =>
      gethConfigToml(staticPeers, trustedPeers, {
        genesisToml: (toml?.genesis ?? tmpfs) ? observedAll.genesisToml : undefined,
      }),
  }
  // The reconciler pauses while up changes the nodes: a whole-network start keeps the nodes
  // apart until every sealer mines, and a reconciler re-peering them would undo that.
  const paused = plan.action !== 'unchanged' ? await stopReconciler(engine, network) : 'missing'
  let applied: Awaited<ReturnType<typeof applyUp>>
  try {
    applied = await applyUp(plan, context)
  } catch (error) {
    // A failed up leaves the nodes as they were: the reconciler looks after them again.
    if (paused === 'stopped') await engine.startContainer(names.container(reconcilerNodeName)).catch(() => {})
    throw error
  }
  const reconciler = await settleReconciler(engine, network, reconcilerImage, progress)
  return {plan, context, initialised, applied, reconciler}
}

/** Runs the vote reconciler with the current image, or removes it when medrec.yaml turns it off. */
async function settleReconciler(
  engine: ContainerEngine,
  network: LoadedNetwork,
  image: ReconcilerImage | undefined,
  progress: ProgressListener,
): Promise<UpNetworkResult['reconciler']> {
  if (!image) {
    const removed = await removeReconciler(engine, network)
    return {action: removed ? 'removed' : 'disabled', image: null}
  }
  const action = await runStep(
    progress,
    'reconciler',
    'Running the vote reconciler',
    () => ensureReconcilerRunning(engine, network, image),
    (a) => a,
  )
  return {action, image: image.tag}
}

function allNodeNames(config: NetworkConfig): string[] {
  return [...config.sealers.map((s) => s.name), rpcNodeName]
}

/** The genesis as config.toml carries it, or undefined when it has a field that cannot go there. */
function translatableGenesis(genesis: unknown): string | undefined {
  try {
    return gethGenesisToml(genesis)
  } catch (error) {
    if (error instanceof MedrecError && error.code === errorCodes.GENESIS_INVALID) return undefined
    throw error
  }
}

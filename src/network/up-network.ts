import {createHash} from 'node:crypto'

import type {Address} from 'viem'

import type {NetworkConfig} from '../config/network-config.js'
import {labelKeys, type ContainerEngine, type ContainerInfo, type ContainerSpec} from '../docker/container-engine.js'
import {reconcileSealerVotes, type ReconcileReport} from '../clique/reissue-votes.js'
import {createTarArchive, type ArchiveEntry} from '../docker/tar-archive.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {
  gethConfigToml,
  gethDataDir,
  rpcContainerPort,
  rpcNodeCommand,
  rpcP2pPort,
  sealerCommand,
  sealerEnvironment,
} from '../geth/geth-node-command.js'
import {buildGethImage} from '../image/build-geth-image.js'
import {ensureGethImage, type CheckedGethImage} from '../image/geth-image.js'
import {gethIpcEval} from '../geth/geth-ipc.js'
import {pinnedGethImage} from '../geth/geth-version.js'
import {enodeUrl} from '../keys/node-key.js'
import {runStep, silentProgress, type ProgressListener} from '../progress/progress-events.js'
import {initNetwork, isNetworkInitialised, readKeystoreAddress, rpcNodeName, type InitNetworkOptions} from './init-network.js'
import {readKeyFile} from './network-files.js'
import {loadNetwork, rpcUrlOf, type LoadedNetwork} from './load-network.js'
import {chooseFreeSubnet, findLabelledResources, findNetworkResources, nodeIp, removeNetworkResources, resourceLabels, resourceNames, settleAll} from './network-resources.js'
import {writeNetworkState} from './network-state.js'
import {assertPortFree} from './port-check.js'
import {startWholeNetwork} from './start-whole-network.js'
import {waitForNetwork, type WaitNode} from './wait-for-network.js'

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
  /** created: first start; updated: containers added or replaced after a config change; started: stopped containers restarted; unchanged: already running. */
  action: 'created' | 'updated' | 'started' | 'unchanged'
  initialised: boolean
  /** Recorded sealer votes cast again after restarts, and those whose change has passed. */
  votes: ReconcileReport
  /** From the start of `up` until every signer had sealed a block, and until fully ready. */
  timings: {allSealedMs: number; readyMs: number}
  /** Times the sealers were restarted to get past a stalled chain (a last resort; 0 when healthy). */
  restarts: number
  sealers: {name: string; address: Address; container: string; ip: string}[]
}

const rpcHostNumber = 5
const firstSealerHostNumber = 10
const stopTimeoutSeconds = 60
const specLabel = 'org.medrec.spec'

type NodePlan = {name: string; role: 'sealer' | 'rpc'; ip: string; p2pPort: number; address?: Address}

/** Fixed IPs keep every enode URL valid across restarts; assignments live in state.json. */
function assignIps(loaded: LoadedNetwork, subnet: string): Record<string, string> {
  const ips = {...loaded.state.ips}
  const taken = new Set(Object.values(ips))
  if (!ips[rpcNodeName]) ips[rpcNodeName] = nodeIp(subnet, rpcHostNumber)
  let next = firstSealerHostNumber
  for (const sealer of loaded.config.sealers) {
    if (ips[sealer.name]) continue
    while (taken.has(nodeIp(subnet, next))) next++
    if (next > 254) throw new MedrecError(errorCodes.SUBNET_EXHAUSTED, `Subnet ${subnet} has no free address for ${sealer.name}.`)
    ips[sealer.name] = nodeIp(subnet, next)
    taken.add(ips[sealer.name]!)
  }
  return ips
}

function nodePlans(config: NetworkConfig, ips: Record<string, string>): NodePlan[] {
  return [
    ...config.sealers.map((s) => ({name: s.name, role: 'sealer' as const, ip: ips[s.name]!, p2pPort: s.p2pPort, address: s.address as Address})),
    {name: rpcNodeName, role: 'rpc' as const, ip: ips[rpcNodeName]!, p2pPort: rpcP2pPort},
  ]
}

/** Each started node's enode URL (sealers and the RPC node), from its node key and fixed address in state.json. */
export async function networkEnodes(network: LoadedNetwork): Promise<Map<string, string>> {
  // A node without an address was never started: it has no enode yet.
  const nodes = nodePlans(network.config, network.state.ips).filter((n) => n.ip !== undefined)
  const entries = await Promise.all(
    nodes.map(async (n) => [n.name, enodeUrl((await readKeyFile(network.paths.node(n.name).nodeKey, n.name)).trim(), n.ip, n.p2pPort)] as const),
  )
  return new Map(entries)
}

/** Reads every node's keys before anything is created, naming the node whose file is missing. */
async function readNodeSecrets(loaded: LoadedNetwork, plans: NodePlan[]) {
  const secrets = new Map<string, {nodeKey: string; keystore?: string; password?: string}>()
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
      throw new MedrecError(errorCodes.KEYSTORE_INVALID, `${plan.name}: its keystore holds ${address}, but medrec.yaml says ${plan.address}.`, {
        hint: `Restore ${files.keystore} from your backup, or correct sealers[].address for ${plan.name}.`,
      })
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
    throw new MedrecError(errorCodes.NAME_CONFLICT, `A MedRec network named "${name}" from another directory already exists on this Docker engine (${foreign.kind} ${foreign.name}).`, {
      hint: 'Choose another network.name in medrec.yaml, or run `medrec network destroy` in that network\'s own directory. Nothing was created.',
    })
  }
}

/**
 * The configured image, checked to run geth 1.13.x. When it is the pinned image and can
 * neither be found nor pulled (no registry reachable), it is built locally, with progress.
 */
async function obtainGethImage(engine: ContainerEngine, reference: string, knownVersions: Record<string, string>, progress: ProgressListener, build: boolean): Promise<CheckedGethImage> {
  try {
    return await runStep(progress, 'image', `Checking image ${reference}`, () => ensureGethImage(engine, reference, {knownVersions}), (i) => `geth ${i.version}${i.pulled ? ' (pulled)' : ''}`)
  } catch (error) {
    if (!(error instanceof MedrecError && error.code === errorCodes.IMAGE_MISSING) || reference !== pinnedGethImage || !build) throw error
    progress({type: 'warning', message: `${reference} could not be pulled; building it locally (\`medrec image build\`).`})
    await buildGethImage(engine, {tag: reference, progress})
    return ensureGethImage(engine, reference, {knownVersions, allowPull: false})
  }
}

/** The container a node runs as. Its hash (a label) tells `up` when a config change needs a new container. */
function containerSpecFor(loaded: LoadedNetwork, plan: NodePlan): ContainerSpec {
  const {config, state} = loaded
  const names = resourceNames(config.network.name)
  const cmd =
    plan.role === 'sealer'
      ? sealerCommand({chainId: config.network.chainId, ip: plan.ip, p2pPort: plan.p2pPort, signer: plan.address!, gasLimit: config.network.gasLimit})
      : rpcNodeCommand({chainId: config.network.chainId, ip: plan.ip, p2pPort: plan.p2pPort, vhosts: config.rpc.vhosts})
  const spec: ContainerSpec = {
    name: names.container(plan.name),
    image: config.image,
    cmd,
    labels: resourceLabels(config, state, {role: plan.role, node: plan.name}),
    volume: {name: names.volume(plan.name), path: gethDataDir},
    network: {name: names.network, ip: plan.ip, aliases: [plan.name]},
    publish: plan.role === 'rpc' ? [{containerPort: rpcContainerPort, hostIp: config.rpc.host, hostPort: config.rpc.port}] : [],
    restartPolicy: 'unless-stopped',
    stopTimeoutSeconds,
    ...(plan.role === 'sealer' ? {env: {...sealerEnvironment}} : {}),
  }
  // The environment joins the hash only when set, so the RPC node's hash (and container) stays as it was.
  const hashed = [spec.image, spec.cmd, spec.network, spec.publish, spec.restartPolicy, ...(spec.env ? [spec.env] : [])]
  const hash = createHash('sha256').update(JSON.stringify(hashed)).digest('hex').slice(0, 16)
  return {...spec, labels: {...spec.labels, [specLabel]: hash}}
}

/** Brings the network up: creates it the first time, restarts it when stopped, leaves it when running. */
export async function upNetwork(options: UpNetworkOptions): Promise<UpNetworkResult> {
  const started = Date.now()
  const progress = options.progress ?? silentProgress
  const engine = options.engine
  const timeoutMs = options.timeoutMs ?? 120_000

  // Pre-flight: nothing is created until every check has passed. Local files are checked
  // first (cheap, and the more useful message); Docker before init writes any file; the
  // port before an image build that may take minutes.
  const exists = await isNetworkInitialised(options.dir)
  let loaded = exists ? await loadNetwork(options.dir) : undefined
  await runStep(progress, 'docker', 'Connecting to Docker', () => engine.ping(), () => engine.describeEndpoint())
  const initialised = !exists
  if (!loaded) {
    await runStep(progress, 'init', 'Creating a default network (medrec.yaml, genesis.json, keys)', () => initNetwork({...options.init, dir: options.dir}), (r) => `${r.sealers.length} sealers, chain id ${r.chainId}`)
    loaded = await loadNetwork(options.dir)
  }
  const network = loaded
  const {config, state} = network
  const names = resourceNames(config.network.name)

  const plan = await runStep(progress, 'preflight', 'Checking names, ports and keys', async () => {
    await assertNoForeignNetwork(engine, config.network.name, state.networkId)
    const existing = await findNetworkResources(engine, state.networkId)
    // A resumed first up keeps the subnet of the Docker network it already made.
    const existingSubnet = existing.networks.find((n) => n.name === names.network)?.subnets[0]
    const subnet = state.subnet ?? existingSubnet ?? config.network.subnet ?? chooseFreeSubnet(await engine.listAllSubnets())
    if (!subnet) throw new MedrecError(errorCodes.SUBNET_EXHAUSTED, 'No free /24 subnet in 10.213.0.0/16 for this network.', {hint: 'Set network.subnet in medrec.yaml to a free /24.'})
    const ips = assignIps(network, subnet)
    const nodes = nodePlans(config, ips)
    const specs = new Map(nodes.map((n) => [n.name, containerSpecFor(network, n)]))
    const containers = new Map<string, ContainerInfo>()
    for (const c of existing.containers) {
      const node = c.labels[labelKeys.node]
      if (node && (c.labels[labelKeys.role] === 'sealer' || c.labels[labelKeys.role] === 'rpc')) containers.set(node, c)
    }
    const rpc = containers.get(rpcNodeName)
    const rpcKeepsPort = rpc?.state === 'running' && rpc.labels[specLabel] === specs.get(rpcNodeName)!.labels[specLabel]
    if (!rpcKeepsPort) await assertPortFree(config.rpc.host, config.rpc.port, 'rpc.port')
    const secrets = await readNodeSecrets(network, nodes)
    return {existing, subnet, ips, nodes, specs, containers, secrets}
  })
  options.signal?.throwIfAborted()
  const image = await obtainGethImage(engine, config.image, state.imageVersions, progress, options.buildImage ?? true)
  state.imageVersions[image.imageId] = image.version

  const {nodes, specs, containers, secrets, subnet} = plan
  const enodes = new Map(nodes.map((n) => [n.name, enodeUrl(secrets.get(n.name)!.nodeKey, n.ip, n.p2pPort)]))
  const firstUp = state.firstUpCompletedAt === undefined
  const toCreate = nodes.filter((n) => !containers.has(n.name))
  const toRecreate = nodes.filter((n) => containers.has(n.name) && containers.get(n.name)!.labels[specLabel] !== specs.get(n.name)!.labels[specLabel])
  const toStart = nodes.filter((n) => containers.get(n.name)?.state !== 'running')
  const action: UpNetworkResult['action'] =
    toCreate.length === nodes.length && plan.existing.containers.length === 0
      ? 'created'
      : toRecreate.length > 0 || toCreate.length > 0
        ? 'updated'
        : toStart.length > 0
          ? 'started'
          : 'unchanged'

  // Ctrl-C is honoured between steps (and in the waits): what a step was doing completes,
  // so everything created is labelled and found by the rollback below.
  const checkpoint = () => options.signal?.throwIfAborted()
  try {
    checkpoint()
    if (action !== 'unchanged') {
      state.subnet = subnet
      state.ips = plan.ips
      state.genesisSha256 = network.genesisSha256
      await writeNetworkState(network.paths, state)
    }
    if (toCreate.length > 0) {
      await runStep(progress, 'resources', 'Creating the Docker network and volumes', async () => {
        if (!plan.existing.networks.some((n) => n.name === names.network)) {
          await engine.createNetwork({name: names.network, subnet, labels: resourceLabels(config, state)})
        }
        const volumes = new Set(plan.existing.volumes.map((v) => v.name))
        for (const node of toCreate) {
          const name = names.volume(node.name)
          if (volumes.has(name)) continue
          // Creating a volume that exists returns it: never adopt one that is not ours.
          const other = await engine.inspectVolume(name)
          if (other && other.labels[labelKeys.networkId] !== state.networkId) {
            throw new MedrecError(errorCodes.NAME_CONFLICT, `Docker volume ${name} exists and does not belong to this network.`, {
              hint: 'Remove or rename that volume, or choose another network.name in medrec.yaml.',
            })
          }
          await engine.createVolume({name, labels: resourceLabels(config, state, {node: node.name})})
        }
      })
      checkpoint()
      await runStep(progress, 'genesis', `Writing keys and genesis into ${toCreate.length} node volume${toCreate.length === 1 ? '' : 's'}`, () =>
        settleAll(
          toCreate.map((node) => {
            const peers = nodes.filter((n) => n.name !== node.name).map((n) => enodes.get(n.name)!)
            return initNodeVolume(engine, network, node, secrets.get(node.name)!, peers)
          }),
        ),
      )
    }
    if (toRecreate.length > 0) {
      // Like compose: a container whose configuration changed is replaced; its volume (the chain) stays.
      await runStep(progress, 'recreate', `Replacing ${toRecreate.map((n) => n.name).join(', ')} (configuration changed)`, () =>
        settleAll(
          toRecreate.map(async (node) => {
            const old = containers.get(node.name)!
            await engine.stopContainer(old.id, stopTimeoutSeconds)
            await engine.removeContainer(old.id)
            containers.delete(node.name)
          }),
        ),
      )
    }
    checkpoint()
    const missing = nodes.filter((n) => !containers.has(n.name))
    if (missing.length > 0) {
      await runStep(progress, 'containers', `Creating ${missing.length} node container${missing.length === 1 ? '' : 's'}`, async () => {
        for (const node of missing) {
          const spec = specs.get(node.name)!
          const id = await engine.createContainer(spec)
          containers.set(node.name, {id, name: spec.name, labels: spec.labels, state: 'created', exitCode: undefined, restartCount: 0, ips: {}})
        }
      })
    }
    // New nodes joining a network that runs: the running nodes must trust them before they
    // start (a refused dial is retried only after 35 s), keep them in their config.toml
    // across restarts, and dial them once they run.
    const joining = plan.existing.containers.length > 0 ? toCreate : []
    const members = nodes.filter((n) => !toCreate.includes(n) && containers.get(n.name)?.state === 'running')
    if (joining.length > 0 && members.length > 0) {
      await runStep(progress, 'peers', `Introducing ${joining.map((n) => n.name).join(', ')} to the running nodes`, () =>
        settleAll(
          members.map(async (member) => {
            const id = containers.get(member.name)!.id
            const peers = nodes.filter((n) => n.name !== member.name).map((n) => enodes.get(n.name)!)
            await engine.putArchive(id, gethDataDir, createTarArchive([{path: 'config.toml', content: gethConfigToml(peers), mode: 0o644}]))
            for (const node of joining) await gethIpcEval(engine, id, member.name, `admin.addTrustedPeer("${enodes.get(node.name)}")`)
          }),
        ),
      )
    }
    checkpoint()
    const waitNode = (n: NodePlan): WaitNode => ({
      name: n.name,
      containerId: containers.get(n.name)!.id,
      ...(n.address ? {address: n.address} : {}),
    })
    // The readiness timeout counts from here: starting a new chain is part of getting ready.
    const readyClock = Date.now()
    const notRunning = nodes.filter((n) => containers.get(n.name)!.state !== 'running')
    // Every node to start (a new network, or a stopped one): isolated until every sealer mines,
    // then connected, so that no sealer drops a block (start-whole-network.ts).
    const writePeers = (node: NodePlan, staticPeers: NodePlan[]) => {
      const trusted = nodes.filter((n) => n.name !== node.name).map((n) => enodes.get(n.name)!)
      const toml = gethConfigToml(staticPeers.map((n) => enodes.get(n.name)!), trusted)
      const file = {path: 'config.toml', content: toml, mode: 0o644}
      return engine.putArchive(containers.get(node.name)!.id, gethDataDir, createTarArchive([file]))
    }
    if (notRunning.length === nodes.length) {
      const byName = new Map(nodes.map((n) => [n.name, n]))
      // The keyless node first: it dials every sealer, so each sealer dials only sealers.
      const ordered = [...nodes.filter((n) => n.role === 'rpc'), ...nodes.filter((n) => n.role !== 'rpc')]
      await runStep(
        progress,
        'start',
        `Starting ${ordered.map((n) => n.name).join(', ')}, each alone until every sealer seals, then connecting them`,
        () =>
          startWholeNetwork({
            engine,
            nodes: ordered.map((n) => ({...waitNode(n), role: n.role, enode: enodes.get(n.name)!})),
            deadline: readyClock + timeoutMs,
            timeoutMs,
            ...(options.signal ? {signal: options.signal} : {}),
            isolate: (node) => writePeers(byName.get(node.name)!, []),
            start: (node) => engine.startContainer(node.containerId),
          }),
        (r) => `every sealer sealing ${(r.miningAfterMs / 1000).toFixed(1)} s after the start`,
      )
      // From now on every node keeps every other as a static peer, for its next start.
      await settleAll(nodes.map((node) => writePeers(node, nodes.filter((n) => n.name !== node.name))))
    } else if (notRunning.length > 0) {
      await runStep(progress, 'start', `Starting ${notRunning.map((n) => n.name).join(', ')}`, () =>
        // Some nodes of a running network (a changed or new container): all at once. Each geth
        // listens before it dials, so of any two nodes the later one reaches the earlier.
        settleAll(notRunning.map((n) => engine.startContainer(containers.get(n.name)!.id))),
      )
    }
    if (joining.length > 0 && members.length > 0) {
      await settleAll(members.flatMap((member) => joining.map((node) => gethIpcEval(engine, containers.get(member.name)!.id, member.name, `admin.addPeer("${enodes.get(node.name)}")`))))
    }

    const stepTitles = {rpc: 'Waiting for the RPC node', sealing: 'Waiting for every signer to seal a block', peering: 'Waiting for every sealer to connect to its peers'}
    let currentStage: keyof typeof stepTitles | undefined
    const ready = await waitForNetwork({
      engine,
      rpcUrl: rpcUrlOf(config),
      chainId: config.network.chainId,
      period: config.network.period,
      sealers: nodes.filter((n) => n.role === 'sealer').map(waitNode),
      rpcNode: waitNode(nodes.find((n) => n.role === 'rpc')!),
      timeoutMs,
      startedAt: readyClock,
      ...(options.signal ? {signal: options.signal} : {}),
      stage: (stage) => {
        if (currentStage) progress({type: 'step-done', id: `wait-${currentStage}`})
        currentStage = stage
        progress({type: 'step-start', id: `wait-${stage}`, title: stepTitles[stage]})
      },
      update: (message) => currentStage && progress({type: 'step-update', id: `wait-${currentStage}`, message}),
    })
    if (currentStage) progress({type: 'step-done', id: `wait-${currentStage}`, summary: `block ${ready.blockNumber}`})
    if (ready.restarts > 0) {
      const times = `${ready.restarts} time${ready.restarts === 1 ? '' : 's'}`
      progress({type: 'warning', message: `The chain stalled; the sealers were restarted ${times} to get it moving.`})
    }
    checkpoint()
    // geth forgets Clique proposals on restart: cast the recorded votes again.
    const votes = Object.keys(state.votes).length === 0 ? {passed: [], reissued: []} : await runStep(progress, 'votes', 'Re-issuing recorded sealer votes', () => reconcileSealerVotes(engine, network), (r) => `${r.reissued.length} re-issued, ${r.passed.length} passed`)

    if (firstUp) {
      state.firstUpCompletedAt = new Date().toISOString()
      await writeNetworkState(network.paths, state)
    }
    return {
      name: config.network.name,
      rpcUrl: rpcUrlOf(config),
      chainId: config.network.chainId,
      blockNumber: ready.blockNumber,
      signers: network.signers,
      action,
      initialised,
      timings: {allSealedMs: ready.allSealedAt - started, readyMs: Date.now() - started},
      restarts: ready.restarts,
      votes,
      sealers: nodes.filter((n) => n.role === 'sealer').map((n) => ({name: n.name, address: n.address!, container: names.container(n.name), ip: n.ip})),
    }
  } catch (error) {
    if (!firstUp) throw error
    // A first start that fails leaves nothing behind: no containers, volumes or network.
    try {
      await removeNetworkResources(engine, state.networkId)
    } catch (cleanupError) {
      // State keeps the subnet and addresses, so running up again resumes with them.
      throw new MedrecError(errorCodes.DOCKER_OPERATION_FAILED, `${error instanceof Error ? error.message : String(error)} Cleaning up after it also failed.`, {
        details: cleanupError instanceof MedrecError ? cleanupError.details : [String(cleanupError)],
        hint: 'Run `medrec network up` again to resume, or `medrec network destroy --force` to remove what is left.',
        cause: error,
      })
    }
    delete state.subnet
    delete state.genesisSha256
    state.ips = {}
    await writeNetworkState(network.paths, state)
    throw error
  }
}

/**
 * Copies a node's files into its volume and runs `geth init` on it in a short-lived
 * container. Keys travel through the Docker archive API: never in an image layer or
 * on a command line.
 */
async function initNodeVolume(
  engine: ContainerEngine,
  loaded: LoadedNetwork,
  plan: NodePlan,
  secrets: {nodeKey: string; keystore?: string; password?: string},
  staticPeers: string[],
): Promise<void> {
  const names = resourceNames(loaded.config.network.name)
  const files: ArchiveEntry[] = [
    {path: 'genesis.json', content: loaded.genesisText, mode: 0o644},
    {path: 'config.toml', content: gethConfigToml(staticPeers), mode: 0o644},
    {path: 'nodekey', content: secrets.nodeKey, mode: 0o600},
  ]
  if (plan.role === 'sealer') {
    files.push({path: `keystore/UTC--medrec--${plan.address!.slice(2).toLowerCase()}`, content: secrets.keystore!, mode: 0o600})
    files.push({path: 'password', content: secrets.password!, mode: 0o400})
  }
  const labels = resourceLabels(loaded.config, loaded.state, {role: 'init', node: plan.name})
  const stale = await engine.inspectContainer(names.initContainer(plan.name))
  if (stale) await engine.removeContainer(stale.id)
  const id = await engine.createContainer({
    name: names.initContainer(plan.name),
    image: loaded.config.image,
    cmd: ['--datadir', gethDataDir, 'init', `${gethDataDir}/genesis.json`],
    labels,
    volume: {name: names.volume(plan.name), path: gethDataDir},
  })
  try {
    await engine.putArchive(id, gethDataDir, createTarArchive(files, plan.role === 'sealer' ? ['keystore/'] : []))
    await engine.startContainer(id)
    const exitCode = await engine.waitContainer(id)
    if (exitCode !== 0) {
      const logs = await engine.logsText(id, 20)
      throw new MedrecError(errorCodes.NODE_FAILED, `${plan.name}: \`geth init\` failed (exit code ${exitCode}).`, {
        details: logs.trim().split('\n').slice(-5),
        hint: 'A volume from an older chain with another genesis? `medrec network destroy` removes it.',
      })
    }
  } finally {
    await engine.removeContainer(id)
  }
}

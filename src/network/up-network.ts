import type {Address} from 'viem'

import type {NetworkConfig} from '../config/network-config.js'
import {labelKeys, type ContainerEngine, type ContainerInfo} from '../docker/container-engine.js'
import {createTarArchive, type ArchiveEntry} from '../docker/tar-archive.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {gethConfigToml, gethDataDir, rpcContainerPort, rpcNodeCommand, sealerCommand} from '../geth/geth-node-command.js'
import {ensureGethImage} from '../image/geth-image.js'
import {enodeUrl} from '../keys/node-key.js'
import {runStep, silentProgress, type ProgressListener} from '../progress/progress-events.js'
import {initNetwork, isNetworkInitialised, readKeystoreAddress, rpcNodeName, type InitNetworkOptions} from './init-network.js'
import {readKeyFile} from './network-files.js'
import {loadNetwork, rpcUrlOf, type LoadedNetwork} from './load-network.js'
import {chooseFreeSubnet, findNetworkResources, nodeIp, removeNetworkResources, resourceLabels, resourceNames} from './network-resources.js'
import {writeNetworkState} from './network-state.js'
import {assertPortFree} from './port-check.js'
import {waitForNetwork} from './wait-for-network.js'

export type UpNetworkOptions = {
  dir: string
  engine: ContainerEngine
  progress?: ProgressListener
  /** Overall deadline for the network to become ready. */
  timeoutMs?: number
  /** Used only when the directory has no medrec.yaml yet. */
  init?: Omit<InitNetworkOptions, 'dir' | 'force'>
}

export type UpNetworkResult = {
  name: string
  rpcUrl: string
  chainId: number
  blockNumber: number
  signers: Address[]
  /** created: first start; started: stopped containers restarted; unchanged: already running. */
  action: 'created' | 'started' | 'unchanged'
  initialised: boolean
  readyInMs: number
  sealers: {name: string; address: Address; container: string; ip: string}[]
}

const rpcHostNumber = 5
const firstSealerHostNumber = 10
const stopTimeoutSeconds = 60

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
    {name: rpcNodeName, role: 'rpc' as const, ip: ips[rpcNodeName]!, p2pPort: 30_303},
  ]
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
  const selector = {[labelKeys.network]: name}
  const [containers, volumes, networks] = await Promise.all([engine.listContainers(selector), engine.listVolumes(selector), engine.listNetworks(selector)])
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

/** Brings the network up: creates it the first time, restarts it when stopped, leaves it when running. */
export async function upNetwork(options: UpNetworkOptions): Promise<UpNetworkResult> {
  const started = Date.now()
  const progress = options.progress ?? silentProgress
  const engine = options.engine
  const timeoutMs = options.timeoutMs ?? 120_000

  // Pre-flight: nothing is created until every check has passed. Local files are checked
  // first (cheap, and the more useful message); Docker before init writes any file.
  const exists = await isNetworkInitialised(options.dir)
  let loaded = exists ? await loadNetwork(options.dir) : undefined
  await runStep(progress, 'docker', 'Connecting to Docker', () => engine.ping(), () => engine.describeEndpoint())
  const initialised = !exists
  if (!loaded) {
    await runStep(progress, 'init', 'Creating a default network (medrec.yaml, genesis.json, keys)', () => initNetwork({...options.init, dir: options.dir}), (r) => `${r.sealers.length} sealers, chain id ${r.chainId}`)
    loaded = await loadNetwork(options.dir)
  }
  const {config, state} = loaded
  const names = resourceNames(config.network.name)

  const preflight = await runStep(progress, 'preflight', 'Checking image, names and ports', async () => {
    const existing = await findNetworkResources(engine, state.networkId)
    await assertNoForeignNetwork(engine, config.network.name, state.networkId)
    const image = await ensureGethImage(engine, config.image, {knownVersions: state.imageVersions})
    state.imageVersions[image.imageId] = image.version
    const rpcRunning = existing.containers.some((c) => c.labels['org.medrec.role'] === 'rpc' && c.state === 'running')
    if (!rpcRunning) await assertPortFree(config.rpc.host, config.rpc.port, 'rpc.port')
    return {existing, image}
  }, (p) => `geth ${p.image.version}`)

  const firstUp = state.firstUpCompletedAt === undefined
  const subnet = state.subnet ?? config.network.subnet ?? chooseFreeSubnet(await engine.listAllSubnets())
  if (!subnet) throw new MedrecError(errorCodes.SUBNET_EXHAUSTED, 'No free /24 subnet in 10.213.0.0/16 for this network.', {hint: 'Set network.subnet in medrec.yaml to a free /24.'})
  const ips = assignIps(loaded, subnet)
  const plans = nodePlans(config, ips)
  const secrets = await readNodeSecrets(loaded, plans)

  const containersByNode = new Map<string, ContainerInfo>()
  for (const c of preflight.existing.containers) {
    const node = c.labels['org.medrec.node']
    if (node && (c.labels['org.medrec.role'] === 'sealer' || c.labels['org.medrec.role'] === 'rpc')) containersByNode.set(node, c)
  }
  const allRunning = plans.every((p) => containersByNode.get(p.name)?.state === 'running')
  const action: UpNetworkResult['action'] = allRunning ? 'unchanged' : firstUp && preflight.existing.containers.length === 0 ? 'created' : 'started'

  try {
    if (!allRunning) {
      state.subnet = subnet
      state.ips = ips
      state.genesisSha256 = loaded.genesisSha256
      await writeNetworkState(loaded.paths, state)

      await runStep(progress, 'resources', 'Creating the Docker network and volumes', async () => {
        if (!preflight.existing.networks.some((n) => n.name === names.network)) {
          await engine.createNetwork({name: names.network, subnet, labels: resourceLabels(config, state)})
        }
        const volumes = new Set(preflight.existing.volumes.map((v) => v.name))
        for (const plan of plans) {
          if (!volumes.has(names.volume(plan.name))) await engine.createVolume({name: names.volume(plan.name), labels: resourceLabels(config, state, {node: plan.name})})
        }
      })

      const enodes = new Map(plans.map((p) => [p.name, enodeUrl(secrets.get(p.name)!.nodeKey, p.ip, p.p2pPort)]))
      const toCreate = plans.filter((p) => !containersByNode.has(p.name))
      if (toCreate.length > 0) {
        await runStep(progress, 'genesis', `Writing keys and genesis into ${toCreate.length} node volume${toCreate.length === 1 ? '' : 's'}`, async () => {
          await Promise.all(
            toCreate.map((plan) => {
              const peers = plans.filter((p) => p.name !== plan.name).map((p) => enodes.get(p.name)!)
              return initNodeVolume(engine, loaded, plan, secrets.get(plan.name)!, peers)
            }),
          )
        })
        await runStep(progress, 'containers', `Creating ${toCreate.length} node container${toCreate.length === 1 ? '' : 's'}`, async () => {
          for (const plan of toCreate) {
            const cmd =
              plan.role === 'sealer'
                ? sealerCommand({chainId: config.network.chainId, ip: plan.ip, p2pPort: plan.p2pPort, signer: plan.address!, gasLimit: config.network.gasLimit})
                : rpcNodeCommand({chainId: config.network.chainId, ip: plan.ip, p2pPort: plan.p2pPort, vhosts: config.rpc.vhosts})
            const id = await engine.createContainer({
              name: names.container(plan.name),
              image: config.image,
              cmd,
              labels: resourceLabels(config, state, {role: plan.role, node: plan.name}),
              volume: {name: names.volume(plan.name), path: gethDataDir},
              network: {name: names.network, ip: plan.ip, aliases: [plan.name]},
              publish: plan.role === 'rpc' ? [{containerPort: rpcContainerPort, hostIp: config.rpc.host, hostPort: config.rpc.port}] : [],
              restartPolicy: 'unless-stopped',
              stopTimeoutSeconds,
            })
            containersByNode.set(plan.name, {id, name: names.container(plan.name), labels: {}, state: 'created', exitCode: undefined, restartCount: 0, ips: {}})
          }
        })
      }
      await runStep(progress, 'start', `Starting ${plans.length - 1} sealer${plans.length === 2 ? '' : 's'} and the RPC node`, async () => {
        // All at once: each geth listens before it dials, so of any two nodes the later
        // one always reaches the earlier, and the mesh forms before the first block.
        await Promise.all(
          plans.map((plan) => {
            const container = containersByNode.get(plan.name)!
            return container.state === 'running' ? undefined : engine.startContainer(container.id)
          }),
        )
      })
    }

    const waitNode = (p: NodePlan) => ({name: p.name, containerId: containersByNode.get(p.name)!.id, ...(p.address ? {address: p.address} : {})})
    const stepTitles = {rpc: 'Waiting for the RPC node', sealing: 'Waiting for every signer to seal a block', peering: 'Waiting for every sealer to connect to its peers'}
    let currentStage: keyof typeof stepTitles | undefined
    const ready = await waitForNetwork({
      engine,
      rpcUrl: rpcUrlOf(config),
      chainId: config.network.chainId,
      sealers: plans.filter((p) => p.role === 'sealer').map(waitNode),
      rpcNode: waitNode(plans.find((p) => p.role === 'rpc')!),
      timeoutMs,
      stage: (stage) => {
        if (currentStage) progress({type: 'step-done', id: `wait-${currentStage}`})
        currentStage = stage
        progress({type: 'step-start', id: `wait-${stage}`, title: stepTitles[stage]})
      },
      update: (message) => currentStage && progress({type: 'step-update', id: `wait-${currentStage}`, message}),
    })
    if (currentStage) progress({type: 'step-done', id: `wait-${currentStage}`, summary: `block ${ready.blockNumber}`})

    if (firstUp) state.firstUpCompletedAt = new Date().toISOString()
    await writeNetworkState(loaded.paths, state)
    return {
      name: config.network.name,
      rpcUrl: rpcUrlOf(config),
      chainId: config.network.chainId,
      blockNumber: ready.blockNumber,
      signers: loaded.signers,
      action,
      initialised,
      readyInMs: Date.now() - started,
      sealers: plans.filter((p) => p.role === 'sealer').map((p) => ({name: p.name, address: p.address!, container: names.container(p.name), ip: p.ip})),
    }
  } catch (error) {
    if (firstUp) {
      // A first start that fails leaves nothing behind: no containers, volumes or network.
      await removeNetworkResources(engine, state.networkId).catch(() => {})
      delete state.subnet
      delete state.genesisSha256
      state.ips = {}
      await writeNetworkState(loaded.paths, state).catch(() => {})
    }
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

import {reconcileSealerVotes, type ReconcileReport} from '../clique/reissue-votes.js'
import {labelKeys, type ContainerEngine, type ContainerInfo, type ContainerSpec} from '../docker/container-engine.js'
import {createTarArchive} from '../docker/tar-archive.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {gethIpcEval} from '../geth/geth-ipc.js'
import {gethDataDir} from '../geth/geth-node-command.js'
import {runStep, type ProgressListener} from '../progress/progress-events.js'
import {initNodeVolume, writeNodeFiles, type NodePlan, type NodeSecrets} from './init-node-volume.js'
import {rpcUrlOf, type LoadedNetwork} from '../workspace/load-network.js'
import {removeNetworkResources, resourceLabels, resourceNames, settleAll} from '../workspace/network-resources.js'
import {changeNetworkState, forgetChain} from '../workspace/network-state.js'
import type {UpPlan, UpStep} from './plan-up.js'
import {startWholeNetwork} from './start-whole-network.js'
import {waitForNetwork, type WaitForNetworkResult, type WaitNode} from './wait-for-network.js'

/** Everything a plan's steps act on, observed and read before the first step. */
export type ApplyUpContext = {
  engine: ContainerEngine
  network: LoadedNetwork
  progress: ProgressListener
  /** Aborts between steps and in the waits (Ctrl-C); a first start then removes what it made. */
  signal?: AbortSignal
  timeoutMs: number
  /** The configured nodes that stay (sealers first, the RPC node last). */
  nodes: NodePlan[]
  specs: Map<string, ContainerSpec>
  /** Each node's current container (sealer and RPC roles), updated as steps replace them. */
  containers: Map<string, ContainerInfo>
  secrets: Map<string, NodeSecrets>
  /** Every node's enode URL, also of nodes being removed. */
  enodes: Map<string, string>
  subnet: string
  ips: Record<string, string>
  /**
   * A node's config.toml: its static and trusted peers, and the genesis when `genesis` says so
   * (default: only for chain data on tmpfs, which starts empty every time).
   */
  configToml: (
    staticPeers: readonly string[],
    trustedPeers?: readonly string[],
    options?: {genesis?: boolean},
  ) => string
}

export type ApplyUpResult = {
  /** Absent when the plan did not wait (a removal). */
  ready?: WaitForNetworkResult
  votes: ReconcileReport
  /** The order a whole-network start connected the nodes in (each dialled the later ones). */
  connectedInOrder?: string[]
  /** Each node's peers, when a whole-network start saw the full mesh and recorded the static peers itself. */
  meshedAtStart?: Record<string, number>
}

const stopTimeoutSeconds = 60
const stepTitles = {
  rpc: 'Waiting for the RPC node',
  peering: 'Waiting for every sealer to connect to its peers',
  sealing: 'Waiting for every signer to seal a block',
}

/**
 * Executes a plan from planUp step by step, reporting progress. A first start that fails
 * or is interrupted leaves nothing behind: no containers, volumes or network.
 */
export async function applyUp(plan: UpPlan, context: ApplyUpContext): Promise<ApplyUpResult> {
  const {network} = context
  const result: ApplyUpResult = {votes: {passed: [], reissued: []}}
  const isolated = new Set<string>()
  /** Work a step started that later steps need not wait for; all of it is done before applyUp returns. */
  const background: Promise<unknown>[] = []
  // The readiness timeout counts from the first start: starting a new chain is part of getting ready.
  let readyClock: number | undefined
  const clock = () => (readyClock ??= Date.now())
  try {
    for (const step of plan.steps) {
      // Ctrl-C is honoured between steps (and in the waits): what a step was doing completes,
      // so everything created is labelled and found by the rollback below.
      // A network that is ready is kept: the last step only records that.
      if (step.type !== 'mark-first-up') context.signal?.throwIfAborted()
      if (step.type === 'start-whole-network' || step.type === 'start' || step.type === 'await-ready') clock()
      await applyStep(step, context, result, clock, isolated, background)
    }
    await settleAll(background)
    return result
  } catch (error) {
    await Promise.allSettled(background)
    if (!plan.firstUp) throw error
    try {
      await removeNetworkResources(context.engine, network.state.networkId)
    } catch (cleanupError) {
      // State keeps the subnet and addresses, so running up again resumes with them.
      const message = `${error instanceof Error ? error.message : String(error)} Cleaning up after it also failed.`
      throw new MedrecError(errorCodes.DOCKER_OPERATION_FAILED, message, {
        details: cleanupError instanceof MedrecError ? cleanupError.details : [String(cleanupError)],
        hint: 'Run `medrec network up` again to resume, or `medrec network destroy --force` to remove what is left.',
        cause: error,
      })
    }
    await changeNetworkState(network, (current) => {
      delete current.subnet
      delete current.genesisSha256
      delete current.profile
      current.ips = {}
    })
    throw error
  }
}

async function applyStep(
  step: UpStep,
  context: ApplyUpContext,
  result: ApplyUpResult,
  clock: () => number,
  /** Nodes whose config.toml was written without static peers in this run (nothing to isolate). */
  isolated: Set<string>,
  background: Promise<unknown>[],
): Promise<void> {
  const {engine, network, progress, nodes, containers, enodes} = context
  const {config, state} = network
  const names = resourceNames(config.network.name)
  const byName = new Map(nodes.map((n) => [n.name, n]))
  const node = (name: string) => byName.get(name)!
  const containerId = (name: string) => containers.get(name)!.id
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`
  switch (step.type) {
    case 'discard-lost-chain': {
      await runStep(
        progress,
        'discard',
        'Removing the stopped throwaway network: its chain was in memory',
        async () => {
          await removeNetworkResources(engine, state.networkId)
          containers.clear()
          await changeNetworkState(network, forgetChain)
        },
      )
      progress({
        type: 'warning',
        message:
          'The throwaway network had stopped, and its chain (kept in memory) with it: a new chain starts from ' +
          'genesis and contracts deployed before are forgotten.',
      })
      return
    }
    case 'record-addresses': {
      await recordNetworkAddresses(network, context)
      return
    }
    case 'create-resources': {
      await runStep(progress, 'resources', 'Creating the Docker network and volumes', async () => {
        if (step.network)
          await engine.createNetwork({
            name: names.network,
            subnet: context.subnet,
            labels: resourceLabels(config, state),
          })
        for (const nodeName of step.volumes) {
          const name = names.volume(nodeName)
          // Creating a volume that exists returns it: never adopt one that is not ours.
          const other = await engine.inspectVolume(name)
          if (other && other.labels[labelKeys.networkId] !== state.networkId) {
            throw new MedrecError(
              errorCodes.NAME_CONFLICT,
              `Docker volume ${name} exists and does not belong to this network.`,
              {
                hint: 'Remove or rename that volume, or choose another network.name in medrec.yaml.',
              },
            )
          }
          await engine.createVolume({name, labels: resourceLabels(config, state, {node: nodeName})})
        }
      })
      return
    }
    case 'init-volumes': {
      const title = `Writing keys and genesis into ${plural(step.nodes.length, 'node volume')}`
      await runStep(progress, 'genesis', title, () =>
        settleAll(
          step.nodes.map((name) => {
            const peers = nodes.filter((n) => n.name !== name).map((n) => enodes.get(n.name)!)
            return initNodeVolume(engine, network, node(name), context.secrets.get(name)!, context.configToml(peers))
          }),
        ),
      )
      return
    }
    case 'write-node-files': {
      const title = `Writing keys and configuration into ${plural(step.nodes.length, 'node container')}`
      await runStep(progress, 'genesis', title, () =>
        settleAll(
          step.nodes.map(async (name) => {
            const peers = nodes.filter((n) => n.name !== name).map((n) => enodes.get(n.name)!)
            // Its database is empty: the genesis goes in, whatever the profile.
            const configToml = context.configToml(step.isolated ? [] : peers, peers, {genesis: true})
            const secrets = context.secrets.get(name)!
            const onVolume = context.specs.get(name)!.volume !== undefined
            await writeNodeFiles(engine, containerId(name), {plan: node(name), secrets, configToml, onVolume})
            if (step.isolated) isolated.add(name)
          }),
        ),
      )
      return
    }
    case 'remove-containers': {
      await runStep(progress, 'recreate', `Replacing ${step.nodes.join(', ')} (configuration changed)`, () =>
        settleAll(
          step.nodes.map(async (name) => {
            const old = containers.get(name)!
            await engine.stopContainer(old.id, stopTimeoutSeconds)
            await engine.removeContainer(old.id)
            containers.delete(name)
          }),
        ),
      )
      return
    }
    case 'create-containers': {
      // All at once: each is labelled as it is made, so a rollback finds whichever were.
      await runStep(progress, 'containers', `Creating ${plural(step.nodes.length, 'node container')}`, () =>
        settleAll(
          step.nodes.map(async (name) => {
            const spec = context.specs.get(name)!
            const id = await engine.createContainer(spec)
            containers.set(name, {
              id,
              name: spec.name,
              labels: spec.labels,
              state: 'created',
              exitCode: undefined,
              restartCount: 0,
              ips: {},
            })
          }),
        ),
      )
      return
    }
    case 'introduce': {
      // The running nodes trust the new ones before they start (a refused dial is retried
      // only after 35 s), and keep them in their config.toml across restarts.
      await runStep(progress, 'peers', `Introducing ${step.joining.join(', ')} to the running nodes`, () =>
        settleAll(
          step.members.map(async (member) => {
            const id = containerId(member)
            const peers = nodes.filter((n) => n.name !== member).map((n) => enodes.get(n.name)!)
            const file = {path: 'config.toml', content: context.configToml(peers), mode: 0o644}
            await engine.putArchive(id, gethDataDir, createTarArchive([file]))
            for (const name of step.joining)
              await gethIpcEval(engine, id, member, `admin.addTrustedPeer("${enodes.get(name)}")`)
          }),
        ),
      )
      return
    }
    case 'start-whole-network': {
      // Every node to start (a new network, or a stopped one): isolated until every sealer
      // mines, then connected, so that no sealer drops a block (start-whole-network.ts).
      const writePeers = (name: string, staticPeers: NodePlan[]) => {
        const trusted = nodes.filter((n) => n.name !== name).map((n) => enodes.get(n.name)!)
        const toml = context.configToml(
          staticPeers.map((n) => enodes.get(n.name)!),
          trusted,
        )
        const file = {path: 'config.toml', content: toml, mode: 0o644}
        return engine.putArchive(containerId(name), gethDataDir, createTarArchive([file]))
      }
      const started = await runStep(
        progress,
        'start',
        `Starting ${step.order.join(', ')}, each alone until every sealer seals, then connecting them`,
        () =>
          startWholeNetwork({
            engine,
            nodes: step.order.map((name) => ({
              ...waitNode(context, node(name)),
              role: node(name).role,
              enode: enodes.get(name)!,
            })),
            deadline: clock() + context.timeoutMs,
            timeoutMs: context.timeoutMs,
            ...(context.signal ? {signal: context.signal} : {}),
            isolate: async (n) => (isolated.has(n.name) ? undefined : writePeers(n.name, [])),
            start: (n) => engine.startContainer(n.containerId),
          }),
        (r) => `every sealer sealing ${(r.miningAfterMs / 1000).toFixed(1)} s after the start`,
      )
      result.connectedInOrder = step.order
      if (started.meshed) result.meshedAtStart = started.peers
      // From now on every node keeps every other as a static peer, for its next start. Only a
      // next start reads it: written while the readiness wait runs, done before `up` returns.
      const fullPeers = settleAll(
        nodes.map((n) =>
          writePeers(
            n.name,
            nodes.filter((other) => other.name !== n.name),
          ),
        ),
      )
      fullPeers.catch(() => {}) // handled now, so Node does not call it unhandled; its error is thrown at the end
      background.push(fullPeers)
      return
    }
    case 'start': {
      await runStep(progress, 'start', `Starting ${step.nodes.join(', ')}`, () =>
        // Some nodes of a running network (a changed or new container): all at once. Each geth
        // listens before it dials, so of any two nodes the later one reaches the earlier.
        settleAll(step.nodes.map((name) => engine.startContainer(containerId(name)))),
      )
      return
    }
    case 'connect': {
      await settleAll(
        step.members.flatMap((member) =>
          step.joining.map((name) =>
            gethIpcEval(engine, containerId(member), member, `admin.addPeer("${enodes.get(name)}")`),
          ),
        ),
      )
      return
    }
    case 'remove-nodes': {
      for (const name of step.nodes) {
        const gone = containers.get(name)
        if (gone) {
          await engine.stopContainer(gone.id, stopTimeoutSeconds)
          await engine.removeContainer(gone.id)
          containers.delete(name)
        }
        await engine.removeVolume(names.volume(name))
      }
      await changeNetworkState(network, (current) => {
        for (const name of step.nodes) delete current.ips[name]
      })
      // The others forget them: now in memory, and in config.toml for their next start.
      const goneEnodes = step.nodes.map((name) => enodes.get(name)).filter((e) => e !== undefined)
      for (const member of step.members) {
        const id = containerId(member)
        const peers = [...enodes]
          .filter(([name]) => name !== member && !step.nodes.includes(name))
          .map(([, enode]) => enode)
        await engine.putArchive(
          id,
          gethDataDir,
          createTarArchive([{path: 'config.toml', content: context.configToml(peers), mode: 0o644}]),
        )
        for (const enode of goneEnodes) {
          await gethIpcEval(engine, id, member, `admin.removeTrustedPeer("${enode}")`)
          await gethIpcEval(engine, id, member, `admin.removePeer("${enode}")`)
        }
      }
      return
    }
    case 'await-ready': {
      // Unless the start recorded them already, with the full mesh.
      const order = result.meshedAtStart ? undefined : result.connectedInOrder
      // Once every link exists: each node also records the nodes that dialled it as static
      // peers (a connected peer is not dialled), so either side redials a lost link, as after a
      // restart from config.toml.
      const recordDialledPeers = async () => {
        if (!order) return
        await settleAll(
          order.slice(1).map((name, index) => {
            const dials = order.slice(0, index + 1).map((earlier) => `admin.addPeer("${enodes.get(earlier)}")`)
            return gethIpcEval(engine, containerId(name), name, `[${dials.join(', ')}]`)
          }),
        )
      }
      result.ready = await awaitReady(
        context,
        clock(),
        step.newChain ?? false,
        recordDialledPeers,
        result.meshedAtStart,
      )
      return
    }
    case 'reissue-votes': {
      result.votes = await runStep(
        progress,
        'votes',
        'Re-issuing recorded sealer votes',
        () => reconcileSealerVotes(engine, network),
        (r) => `${r.reissued.length} re-issued, ${r.passed.length} passed`,
      )
      return
    }
    case 'mark-first-up': {
      const completedAt = new Date().toISOString()
      await changeNetworkState(network, (current) => {
        current.firstUpCompletedAt = completedAt
      })
      return
    }
  }
}

/**
 * Records the chain's subnet, node addresses, genesis hash and profile before anything is made
 * with them, on state.json as it is now: a vote or a contract recorded meanwhile stays.
 */
export async function recordNetworkAddresses(
  network: LoadedNetwork,
  addresses: Pick<ApplyUpContext, 'subnet' | 'ips'>,
): Promise<void> {
  await changeNetworkState(network, (current) => {
    current.subnet = addresses.subnet
    current.ips = {...addresses.ips}
    current.genesisSha256 = network.genesisSha256
    current.profile = network.config.profile
  })
}

function waitNode(context: ApplyUpContext, n: NodePlan): WaitNode {
  return {name: n.name, containerId: context.containers.get(n.name)!.id, ...(n.address ? {address: n.address} : {})}
}

/** The readiness wait, its three stages reported as progress steps. */
async function awaitReady(
  context: ApplyUpContext,
  startedAt: number,
  newChain: boolean,
  whenMeshed: () => Promise<void>,
  knownPeers: Record<string, number> | undefined,
): Promise<WaitForNetworkResult> {
  const {progress, nodes} = context
  const {config} = context.network
  let currentStage: keyof typeof stepTitles | undefined
  const ready = await waitForNetwork({
    engine: context.engine,
    rpcUrl: rpcUrlOf(config),
    chainId: config.network.chainId,
    period: config.network.period,
    sealers: nodes.filter((n) => n.role === 'sealer').map((n) => waitNode(context, n)),
    rpcNode: waitNode(context, nodes.find((n) => n.role === 'rpc')!),
    timeoutMs: context.timeoutMs,
    startedAt,
    ...(newChain ? {countFromBlock: 0} : {}),
    whenMeshed,
    ...(knownPeers ? {knownPeers} : {}),
    ...(context.signal ? {signal: context.signal} : {}),
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
  return ready
}

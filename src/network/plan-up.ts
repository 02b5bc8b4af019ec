/** A node as the configuration wants it: its role and the hash of its container's spec. */
export type DesiredNode = {name: string; role: 'sealer' | 'rpc'; specHash: string}

/** A node's container as Docker shows it (sealer and RPC containers only). */
export type ObservedNode = {name: string; state: string; specHash: string | undefined}

export type UpDesired = {
  /** Every node the configuration names, sealers first, the RPC node last. */
  nodes: DesiredNode[]
  /** Nodes to take out of the network (a sealer voted out): container and volume go. */
  remove?: string[]
  /**
   * Only these nodes may change (like `docker compose up SERVICE`): the others stay as
   * they are, whatever their state. Default: every node.
   */
  only?: string[]
  /** Wait until the network is ready, then re-issue recorded votes (default true). */
  awaitReady?: boolean
  /**
   * Where chain data lives (the profile's): on volumes that `geth init` prepares, or on a tmpfs
   * that every start of a container empties, so its files go into the container itself and a
   * network none of whose nodes runs has lost its chain. Default: volume.
   */
  chainData?: 'volume' | 'tmpfs'
  /**
   * How a new node's database gets its genesis: `init` runs `geth init` on its new volume in a
   * short-lived container first; `config` writes the node's files into its container and puts the
   * genesis in config.toml, which geth commits to the empty database when it starts (no extra
   * container per node). Chain data on tmpfs is always `config`. Default: init.
   */
  genesisBy?: 'init' | 'config'
}

export type UpObserved = {
  containers: ObservedNode[]
  /** Whether any container of this network exists at all (also a leftover `geth init` one). */
  anyContainer: boolean
  /** The Docker network exists. */
  networkExists: boolean
  /** Nodes whose volume exists. */
  volumes: string[]
  /** state.json records a completed first start. */
  firstUpCompleted: boolean
  /** state.json records Clique votes to keep cast. */
  recordedVotes: boolean
}

/** What `up` does to one node. */
export type NodeAction = 'create' | 'recreate' | 'start' | 'join' | 'remove' | 'nothing'

/** One step of a plan, executed in order by applyUp. */
export type UpStep =
  /** Record the subnet, addresses and genesis hash in state.json. */
  | {type: 'record-addresses'}
  | {type: 'create-resources'; network: boolean; volumes: string[]}
  /** Keys, genesis and config.toml into each new volume, then `geth init`. */
  | {type: 'init-volumes'; nodes: string[]}
  /**
   * Keys and config.toml (which carries the genesis) into each new container, whose geth
   * writes the genesis into its empty database when it starts. With `isolated`, config.toml
   * lists no static peers yet (a whole-network start follows).
   */
  | {type: 'write-node-files'; nodes: string[]; isolated?: true}
  /**
   * Chain data on tmpfs and no node running: the chain is gone. Remove every object left and
   * forget the chain in state.json (deployed contracts with it); a new chain is created.
   */
  | {type: 'discard-lost-chain'}
  /** Like compose: a container whose configuration changed is replaced; its volume (the chain) stays. */
  | {type: 'remove-containers'; nodes: string[]}
  | {type: 'create-containers'; nodes: string[]}
  /** Running members trust the joining nodes before they start, and keep them in config.toml. */
  | {type: 'introduce'; joining: string[]; members: string[]}
  /**
   * Every node starts (a new or a stopped network): each alone until every sealer mines,
   * then connected, in this order (the keyless node first: it dials every sealer).
   */
  | {type: 'start-whole-network'; order: string[]}
  /** Some nodes of a running network start, all at once. */
  | {type: 'start'; nodes: string[]}
  /** Running members dial the joining nodes once these run. */
  | {type: 'connect'; joining: string[]; members: string[]}
  /** Stop and remove these nodes' containers and volumes; the running members forget them. */
  | {type: 'remove-nodes'; nodes: string[]; members: string[]}
  /**
   * With newChain, every block counts (the chain was created by this up, so each block proves
   * its signer seals now); otherwise only blocks after the head the RPC node first reports.
   */
  | {type: 'await-ready'; newChain?: true}
  /** geth forgets Clique proposals on restart: cast the recorded votes again. */
  | {type: 'reissue-votes'}
  | {type: 'mark-first-up'}

export type UpPlan = {
  /**
   * created: first start; updated: containers added, replaced or removed; started: stopped
   * ones restarted; unchanged: already running.
   */
  action: 'created' | 'updated' | 'started' | 'unchanged'
  /** A first start (none completed yet): a failure or an interrupt removes everything it made. */
  firstUp: boolean
  /** What happens to each node, by name. */
  nodes: Record<string, NodeAction>
  steps: UpStep[]
  /** A throwaway network's chain was lost (no node ran): it is created again from genesis. */
  chainDiscarded?: true
}

const runningStates = new Set(['running', 'restarting', 'paused'])

/**
 * Decides what `up` must do, from plain data: which containers to create, replace, start
 * or remove, and in which order. Pure, so every case is tested without Docker.
 */
export function planUp(desired: UpDesired, observed: UpObserved): UpPlan {
  const tmpfs = desired.chainData === 'tmpfs'
  const genesisByConfig = tmpfs || desired.genesisBy === 'config'
  // Whole-network `up` only: `sealer add/remove` (desired.only) leaves the others as they are.
  const chainLost =
    tmpfs &&
    desired.only === undefined &&
    (observed.anyContainer || observed.networkExists || observed.firstUpCompleted) &&
    !observed.containers.some((c) => runningStates.has(c.state))
  if (chainLost) {
    const fresh = planUp(desired, {
      containers: [],
      anyContainer: false,
      networkExists: false,
      volumes: [],
      firstUpCompleted: false,
      recordedVotes: observed.recordedVotes,
    })
    return {...fresh, chainDiscarded: true, steps: [{type: 'discard-lost-chain'}, ...fresh.steps]}
  }
  const removing = new Set(desired.remove ?? [])
  const inScope = (name: string) => desired.only === undefined || desired.only.includes(name)
  const nodes = desired.nodes.filter((n) => !removing.has(n.name))
  const seen = new Map(observed.containers.map((c) => [c.name, c]))
  const toCreate = nodes.filter((n) => !seen.has(n.name) && inScope(n.name))
  const toRecreate = nodes.filter(
    (n) => seen.has(n.name) && seen.get(n.name)!.specHash !== n.specHash && inScope(n.name),
  )
  const toRemove = [...removing].filter((name) => inScope(name))
  // A node's container state once created or replaced (a new container is 'created').
  const stateAfter = (n: DesiredNode) =>
    toCreate.includes(n) || toRecreate.includes(n) ? 'created' : (seen.get(n.name)?.state ?? 'missing')
  const notRunning = nodes.filter((n) => inScope(n.name) && stateAfter(n) !== 'running')
  const firstUp = !observed.firstUpCompleted

  const action: UpPlan['action'] =
    toCreate.length === nodes.length && !observed.anyContainer
      ? 'created'
      : toRecreate.length > 0 || toCreate.length > 0 || toRemove.length > 0
        ? 'updated'
        : notRunning.length > 0
          ? 'started'
          : 'unchanged'

  const steps: UpStep[] = []
  if (action !== 'unchanged') steps.push({type: 'record-addresses'})
  if (toCreate.length > 0) {
    const volumes = tmpfs ? [] : toCreate.map((n) => n.name).filter((name) => !observed.volumes.includes(name))
    steps.push({type: 'create-resources', network: !observed.networkExists, volumes})
    if (!genesisByConfig) steps.push({type: 'init-volumes', nodes: names(toCreate)})
  }
  if (toRecreate.length > 0) steps.push({type: 'remove-containers', nodes: names(toRecreate)})
  const missing = nodes.filter((n) => toCreate.includes(n) || toRecreate.includes(n))
  if (missing.length > 0) steps.push({type: 'create-containers', nodes: names(missing)})
  const wholeNetworkStart = notRunning.length === nodes.length && nodes.length > 0
  // A new node's files go into its container. So do a replaced one's on tmpfs, which starts
  // empty too and syncs from its peers (a replaced one on a volume keeps its files there).
  // Before a whole-network start config.toml is written isolated (no static peers) at once.
  const needFiles = genesisByConfig ? (tmpfs ? missing : toCreate) : []
  if (needFiles.length > 0) {
    const isolated = wholeNetworkStart ? {isolated: true as const} : {}
    steps.push({type: 'write-node-files', nodes: names(nodes.filter((n) => needFiles.includes(n))), ...isolated})
  }
  // New nodes joining a network that runs: the running nodes must trust them before they
  // start (a refused dial is retried only after 35 s), and dial them once they run.
  const joining = observed.anyContainer ? toCreate : []
  const members = nodes.filter((n) => !toCreate.includes(n) && stateAfter(n) === 'running')
  const introduces = joining.length > 0 && members.length > 0
  if (introduces) steps.push({type: 'introduce', joining: names(joining), members: names(members)})
  if (wholeNetworkStart) {
    const order = [...nodes.filter((n) => n.role === 'rpc'), ...nodes.filter((n) => n.role !== 'rpc')]
    steps.push({type: 'start-whole-network', order: names(order)})
  } else if (notRunning.length > 0) {
    steps.push({type: 'start', nodes: names(notRunning)})
  }
  if (introduces) steps.push({type: 'connect', joining: names(joining), members: names(members)})
  if (toRemove.length > 0) {
    // Every other running node forgets them (also one no longer configured).
    const staying = observed.containers.filter((c) => c.state === 'running' && !removing.has(c.name)).map((c) => c.name)
    steps.push({type: 'remove-nodes', nodes: toRemove, members: staying})
  }
  if (desired.awaitReady ?? true) {
    // Every node new, no chain data from an earlier attempt: all blocks are this up's.
    const newChain = action === 'created' && (tmpfs || observed.volumes.length === 0)
    steps.push(newChain ? {type: 'await-ready', newChain} : {type: 'await-ready'})
    if (observed.recordedVotes) steps.push({type: 'reissue-votes'})
  }
  if (firstUp) steps.push({type: 'mark-first-up'})

  const perNode: Record<string, NodeAction> = {}
  for (const n of nodes) {
    perNode[n.name] = toCreate.includes(n)
      ? joining.includes(n)
        ? 'join'
        : 'create'
      : toRecreate.includes(n)
        ? 'recreate'
        : notRunning.includes(n)
          ? 'start'
          : 'nothing'
  }
  for (const name of toRemove) perNode[name] = 'remove'
  return {action, firstUp, nodes: perNode, steps}
}

function names(nodes: DesiredNode[]): string[] {
  return nodes.map((n) => n.name)
}

import {describe, expect, it} from 'vitest'

import {planUp, type DesiredNode, type UpDesired, type UpObserved, type UpStep} from './plan-up.js'

const desired: DesiredNode[] = [
  {name: 'sealer-1', role: 'sealer', specHash: 'h1'},
  {name: 'sealer-2', role: 'sealer', specHash: 'h2'},
  {name: 'rpc', role: 'rpc', specHash: 'hr'},
]

/** A third sealer added to the configuration. */
const newSealer: DesiredNode = {name: 'sealer-3', role: 'sealer', specHash: 'h3'}
/** The configuration with the new sealer among the sealers, before the RPC node. */
const withNewSealer = [...desired.slice(0, 2), newSealer, desired[2]!]

/** A network whose every node runs with its current configuration, after its first start. */
function running(overrides: Partial<UpObserved> = {}): UpObserved {
  return {
    containers: desired.map((n) => ({name: n.name, state: 'running', specHash: n.specHash})),
    anyContainer: true,
    networkExists: true,
    volumes: desired.map((n) => n.name),
    firstUpCompleted: true,
    recordedVotes: false,
    ...overrides,
  }
}

/** The running network with the containers of `stopped` exited. */
function withStopped(...stopped: string[]): UpObserved {
  return running({
    containers: desired.map((n) => ({
      name: n.name,
      state: stopped.includes(n.name) ? 'exited' : 'running',
      specHash: n.specHash,
    })),
  })
}

const nothingExists: UpObserved = {
  containers: [],
  anyContainer: false,
  networkExists: false,
  volumes: [],
  firstUpCompleted: false,
  recordedVotes: false,
}

/**
 * A new node's files go into its new container, config.toml with the genesis (geth commits it to the empty
 * database at start): before a whole-network start isolated (no static peers), so no second copy is written;
 * a node joining a running network gets its static peers at once.
 */
const filesIntoContainer = (nodes: string[], wholeNetwork: boolean): UpStep[] => [
  {type: 'create-containers', nodes},
  {type: 'write-node-files', nodes, ...(wholeNetwork ? {isolated: true as const} : {})},
]

/**
 * Each way a new node gets its chain, and what that changes in a plan: which volumes are made, and
 * the steps that prepare new nodes between their resources and their start.
 */
const genesisWays: {
  way: string
  options: Omit<UpDesired, 'nodes'>
  running: UpObserved
  volumesFor: (nodes: string[]) => string[]
  prepare: (nodes: string[], wholeNetwork: boolean) => UpStep[]
}[] = [
  {
    way: "geth init on each new volume (genesisBy: 'init', the default)",
    options: {},
    running: running(),
    volumesFor: (nodes) => nodes,
    prepare: (nodes) => [
      {type: 'init-volumes', nodes},
      {type: 'create-containers', nodes},
    ],
  },
  {
    way: "the genesis in config.toml (genesisBy: 'config', no geth init container)",
    options: {genesisBy: 'config'},
    running: running(),
    volumesFor: (nodes) => nodes,
    prepare: filesIntoContainer,
  },
  {
    way: 'chain data on tmpfs (profile throwaway): no volumes, no geth init',
    options: {chainData: 'tmpfs'},
    running: running({volumes: []}),
    volumesFor: () => [],
    prepare: filesIntoContainer,
  },
]

describe('planUp', () => {
  it('resumes an interrupted first start, keeping the network and volumes it made', () => {
    // Given a first up that made the Docker network, one volume and a leftover init container
    const plan = planUp(
      {nodes: desired},
      {...nothingExists, anyContainer: true, networkExists: true, volumes: ['sealer-1']},
    )
    // Then it is an update (something existed), creates only what is missing, and still starts the whole network
    expect(plan.action).toBe('updated')
    expect(plan.firstUp).toBe(true)
    expect(plan.steps[1]).toEqual({type: 'create-resources', network: false, volumes: ['sealer-2', 'rpc']})
    expect(plan.steps).toContainEqual({type: 'start-whole-network', order: ['rpc', 'sealer-1', 'sealer-2']})
    expect(plan.steps.at(-1)).toEqual({type: 'mark-first-up'})
    // And only new blocks count: the kept volume may hold blocks of the interrupted attempt
    expect(plan.steps).toContainEqual({type: 'await-ready'})
    // And nodes are not "joining": there is nothing running to join
    expect(plan.steps.some((s) => s.type === 'introduce' || s.type === 'connect')).toBe(false)
  })

  it('leaves a running network whose configuration has not changed unchanged, and only waits for it', () => {
    const plan = planUp({nodes: desired}, running())
    expect(plan.action).toBe('unchanged')
    expect(plan.firstUp).toBe(false)
    expect(plan.nodes).toEqual({'sealer-1': 'nothing', 'sealer-2': 'nothing', rpc: 'nothing'})
    expect(plan.steps).toEqual([{type: 'await-ready'}])
  })

  it('re-issues recorded votes after the wait', () => {
    expect(planUp({nodes: desired}, running({recordedVotes: true})).steps).toEqual([
      {type: 'await-ready'},
      {type: 'reissue-votes'},
    ])
  })

  it('recreates only the container whose configuration changed, and starts it alone', () => {
    // Given sealer-2's spec hash changed (e.g. a new gas limit)
    const changed = desired.map((n) => (n.name === 'sealer-2' ? {...n, specHash: 'h2-new'} : n))
    const plan = planUp({nodes: changed}, running())
    // Then only sealer-2 is replaced and started; the others are untouched
    expect(plan.action).toBe('updated')
    expect(plan.nodes).toEqual({'sealer-1': 'nothing', 'sealer-2': 'recreate', rpc: 'nothing'})
    expect(plan.steps).toEqual([
      {type: 'record-addresses'},
      {type: 'remove-containers', nodes: ['sealer-2']},
      {type: 'create-containers', nodes: ['sealer-2']},
      {type: 'start', nodes: ['sealer-2']},
      {type: 'await-ready'},
    ])
  })

  it('starts a stopped network as a whole: each node alone until every sealer mines, then connected', () => {
    const stopped = withStopped(...desired.map((n) => n.name))
    const plan = planUp({nodes: desired}, stopped)
    expect(plan.action).toBe('started')
    expect(plan.nodes).toEqual({'sealer-1': 'start', 'sealer-2': 'start', rpc: 'start'})
    expect(plan.steps).toEqual([
      {type: 'record-addresses'},
      {type: 'start-whole-network', order: ['rpc', 'sealer-1', 'sealer-2']},
      {type: 'await-ready'},
    ])
  })

  it('starts only the stopped nodes of a network that partly runs', () => {
    const partly = withStopped('sealer-1')
    const plan = planUp({nodes: desired}, partly)
    expect(plan.action).toBe('started')
    expect(plan.steps).toEqual([
      {type: 'record-addresses'},
      {type: 'start', nodes: ['sealer-1']},
      {type: 'await-ready'},
    ])
  })

  it('does not introduce a recreated or stopped node as a member to a joining one', () => {
    // Given sealer-1 changed and sealer-2 stopped while sealer-3 joins
    const nodes = [{...desired[0]!, specHash: 'h1-new'}, desired[1]!, newSealer, desired[2]!]
    const observed = withStopped('sealer-2')
    const plan = planUp({nodes}, observed)
    // Then only the RPC node, which keeps running, introduces and dials it
    expect(plan.steps).toContainEqual({type: 'introduce', joining: ['sealer-3'], members: ['rpc']})
    expect(plan.steps).toContainEqual({type: 'start', nodes: ['sealer-1', 'sealer-2', 'sealer-3']})
    expect(plan.nodes).toEqual({'sealer-1': 'recreate', 'sealer-2': 'start', 'sealer-3': 'join', rpc: 'nothing'})
  })

  it('removes a voted-out sealer alone when scoped to it, without waiting, the running others forgetting it', () => {
    // Given sealer-2 to remove, and sealer-1 stopped meanwhile (out of scope: left as it is)
    const observed = withStopped('sealer-1')
    const plan = planUp({nodes: desired, remove: ['sealer-2'], only: ['sealer-2'], awaitReady: false}, observed)
    // Then only sealer-2 goes; the running RPC node forgets it; nothing starts
    expect(plan.action).toBe('updated')
    expect(plan.nodes).toEqual({'sealer-1': 'nothing', 'sealer-2': 'remove', rpc: 'nothing'})
    expect(plan.steps).toEqual([
      {type: 'record-addresses'},
      {type: 'remove-nodes', nodes: ['sealer-2'], members: ['rpc']},
    ])
  })

  describe.each(genesisWays)('with $way', ({options, running: runningNetwork, volumesFor, prepare}) => {
    const all = ['sealer-1', 'sealer-2', 'rpc']

    it('plans a first start: resources, new nodes prepared, each alone until all mine, every block counted', () => {
      // Given nothing in Docker and no first start recorded
      const plan = planUp({nodes: desired, ...options}, nothingExists)
      // Then everything is created, the keyless node starts first, and the first start is marked at the end
      expect(plan.action).toBe('created')
      expect(plan.firstUp).toBe(true)
      expect(plan.chainDiscarded).toBeUndefined()
      expect(plan.nodes).toEqual({'sealer-1': 'create', 'sealer-2': 'create', rpc: 'create'})
      expect(plan.steps).toEqual([
        {type: 'record-addresses'},
        {type: 'create-resources', network: true, volumes: volumesFor(all)},
        ...prepare(all, true),
        {type: 'start-whole-network', order: ['rpc', 'sealer-1', 'sealer-2']},
        // A chain this up creates: its every block was sealed now, so block 1 counts
        {type: 'await-ready', newChain: true},
        {type: 'mark-first-up'},
      ])
    })

    it('lets a new sealer join a running network: prepared, introduced before it starts, dialled after', () => {
      // Given a third sealer added to the configuration
      const plan = planUp({nodes: withNewSealer, ...options}, runningNetwork)
      // Then it joins: prepared on its own, the running members trust it, it starts, they dial it
      expect(plan.action).toBe('updated')
      expect(plan.nodes['sealer-3']).toBe('join')
      const members = ['sealer-1', 'sealer-2', 'rpc']
      expect(plan.steps).toEqual([
        {type: 'record-addresses'},
        {type: 'create-resources', network: false, volumes: volumesFor(['sealer-3'])},
        ...prepare(['sealer-3'], false),
        {type: 'introduce', joining: ['sealer-3'], members},
        {type: 'start', nodes: ['sealer-3']},
        {type: 'connect', joining: ['sealer-3'], members},
        {type: 'await-ready'},
      ])
    })
  })

  describe("with the genesis in config.toml (genesisBy: 'config', no geth init container)", () => {
    it('leaves a replaced container on a volume its files: its volume has them, and its chain', () => {
      const changed = desired.map((n) => (n.name === 'sealer-2' ? {...n, specHash: 'h2-new'} : n))
      const steps = planUp({nodes: changed, genesisBy: 'config'}, running()).steps
      expect(steps.some((s) => s.type === 'write-node-files' || s.type === 'init-volumes')).toBe(false)
    })
  })

  describe('with chain data on tmpfs (profile throwaway)', () => {
    const tmpfs = {nodes: desired, chainData: 'tmpfs' as const}

    it('discards a stopped network, whose chain was lost with its memory, and creates it again from genesis', () => {
      // Given every container stopped (Docker restarted, or stopped by hand)
      const stopped = running({
        containers: desired.map((n) => ({name: n.name, state: 'exited', specHash: n.specHash})),
        volumes: [],
      })
      const plan = planUp(tmpfs, stopped)
      // Then everything left is removed first, and the rest is a first start (rolled back if it fails)
      expect(plan.chainDiscarded).toBe(true)
      expect(plan.action).toBe('created')
      expect(plan.firstUp).toBe(true)
      expect(plan.steps[0]).toEqual({type: 'discard-lost-chain'})
      expect(plan.steps.slice(1)).toEqual(planUp(tmpfs, nothingExists).steps)
    })

    it('also starts over when the chain was recorded but its objects are gone (destroyed from elsewhere)', () => {
      const plan = planUp(tmpfs, {...nothingExists, firstUpCompleted: true})
      expect(plan.chainDiscarded).toBe(true)
      expect(plan.steps[0]).toEqual({type: 'discard-lost-chain'})
    })

    it('never discards a network that still runs: a stopped node starts empty and syncs from the others', () => {
      const partly = running({
        containers: desired.map((n) => ({
          name: n.name,
          state: n.name === 'sealer-1' ? 'exited' : 'running',
          specHash: n.specHash,
        })),
        volumes: [],
      })
      const plan = planUp(tmpfs, partly)
      expect(plan.chainDiscarded).toBeUndefined()
      expect(plan.steps).toEqual([
        {type: 'record-addresses'},
        {type: 'start', nodes: ['sealer-1']},
        {type: 'await-ready'},
      ])
      expect(planUp(tmpfs, running({volumes: []})).steps).toEqual([{type: 'await-ready'}])
    })

    it('gives a replaced container its files again, since its new tmpfs is empty', () => {
      const changed = desired.map((n) => (n.name === 'rpc' ? {...n, specHash: 'hr-new'} : n))
      const plan = planUp({nodes: changed, chainData: 'tmpfs'}, running({volumes: []}))
      expect(plan.steps).toEqual([
        {type: 'record-addresses'},
        {type: 'remove-containers', nodes: ['rpc']},
        {type: 'create-containers', nodes: ['rpc']},
        {type: 'write-node-files', nodes: ['rpc']},
        {type: 'start', nodes: ['rpc']},
        {type: 'await-ready'},
      ])
    })

    it('leaves a scoped change (sealer add) to the nodes named, even on a stopped network', () => {
      const stopped = running({containers: desired.map((n) => ({name: n.name, state: 'exited', specHash: n.specHash}))})
      const plan = planUp({...tmpfs, remove: ['sealer-2'], only: ['sealer-2'], awaitReady: false}, stopped)
      expect(plan.chainDiscarded).toBeUndefined()
      expect(plan.steps.some((s) => s.type === 'discard-lost-chain')).toBe(false)
    })
  })
})

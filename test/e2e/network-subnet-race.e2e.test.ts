import {describe, expect, it} from 'vitest'

import {DockerodeEngine} from '../../src/docker/dockerode-engine.js'
import {upNetwork} from '../../src/network/up-network.js'
import {loadNetwork} from '../../src/workspace/load-network.js'
import {docker, initE2eNetwork, throwawayNetworks} from '../helpers/e2e-network.js'
import {e2ePrerequisites} from '../helpers/e2e-prerequisites.js'

const prerequisites = await e2ePrerequisites()
const created = throwawayNetworks()

describe.skipIf(!prerequisites.ok)('two network ups on one Docker engine', () => {
  it('picks another free subnet when the one it chose is taken before its network is created', async () => {
    // Given a new network, and a neighbour that takes the very subnet `up` found free, between
    // `up` listing the engine's subnets and creating its Docker network (seen in this
    // project's own e2e run while a benchmark started networks on the same engine:
    // "Pool overlaps with other one on this address space")
    const net = await initE2eNetwork('e2e-race', ['--sealers', '1'])
    created.push(net.name)
    const engine = new DockerodeEngine()
    const taken: string[] = []
    const neighbour = `medrec-e2e-race-neighbour-${Math.random().toString(36).slice(2, 8)}`
    const racing = Object.assign(Object.create(engine) as DockerodeEngine, {
      async createNetwork(spec: {name: string; subnet: string; labels: Record<string, string>}) {
        if (taken.length === 0) {
          taken.push(spec.subnet)
          await docker.createNetwork({Name: neighbour, Driver: 'bridge', IPAM: {Config: [{Subnet: spec.subnet}]}})
        }
        return engine.createNetwork(spec)
      },
    })
    try {
      // When up runs
      const result = await upNetwork({dir: net.dir, engine: racing, timeoutMs: 120_000})

      // Then it started on another subnet, and left the neighbour's network alone
      expect(result.action).toBe('created')
      expect(result.blockNumber).toBeGreaterThan(0)
      const {state} = await loadNetwork(net.dir)
      expect(taken).toHaveLength(1)
      expect(state.subnet).toBeDefined()
      expect(state.subnet).not.toBe(taken[0])
      const neighbours = await docker.listNetworks({filters: {name: [neighbour]}})
      expect(neighbours.map((n) => n.Name)).toEqual([neighbour])
    } finally {
      await docker
        .getNetwork(neighbour)
        .remove()
        .catch(() => {})
    }
  })
})

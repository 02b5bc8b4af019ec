import {createHash} from 'node:crypto'
import {mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {Address} from 'viem'
import {describe, expect, it} from 'vitest'

import type {NetworkProfile} from '../config/network-profile.js'
import {loadNetwork} from '../workspace/load-network.js'
import {initNetwork} from './init-network.js'
import type {NodePlan} from './init-node-volume.js'
import {containerSpecFor, specLabel, throwawayChainBytes} from './node-container-spec.js'

/** A network initialised in a new directory, loaded as `up` loads it, and its first sealer's plan. */
async function networkWith(profile: NetworkProfile) {
  const dir = await mkdtemp(join(tmpdir(), 'medrec-spec-'))
  const init = await initNetwork({
    dir,
    name: `spec-${profile}`,
    sealers: 2,
    chainId: 4_242_424,
    lightKdf: true,
    profile,
  })
  const network = await loadNetwork(dir)
  const sealer: NodePlan = {
    name: 'sealer-1',
    role: 'sealer',
    ip: '10.213.9.10',
    p2pPort: 30_303,
    address: init.sealers[0]!.address as Address,
  }
  const rpc: NodePlan = {name: 'rpc', role: 'rpc', ip: '10.213.9.5', p2pPort: 30_303}
  return {network, sealer, rpc}
}

/** A signer address that is the same in every run, so a sealer's hash can be pinned. */
const fixedSigner: Address = '0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A'

describe('containerSpecFor', () => {
  it('gives a standard node a volume for its datadir and a restart policy, labelled without a profile', async () => {
    const {network, sealer} = await networkWith('standard')
    const spec = containerSpecFor(network, sealer)
    expect(spec.volume).toEqual({name: 'medrec-spec-standard_sealer-1_data', path: '/data'})
    expect(spec.tmpfs).toBeUndefined()
    expect(spec.restartPolicy).toBe('unless-stopped')
    expect(spec.labels).not.toHaveProperty(['org.medrec.profile'])
  })

  it("keeps a standard node's spec hash as before profiles existed, so an upgrade replaces no container", async () => {
    // Given a standard network on geth 1.13.15 and a sealer with a fixed signer
    const {network: made, sealer: drawn, rpc} = await networkWith('standard')
    const network = {...made, config: {...made.config, image: 'ethereum/client-go:v1.13.15'}}
    const sealer = {...drawn, address: fixedSigner}
    // Then each node's hash is the one a network made before profiles gave it (image, command, network, ports,
    // restart policy, and the environment when set)
    expect(containerSpecFor(network, sealer).labels[specLabel]).toBe('252bd5e5525bc886')
    expect(containerSpecFor(network, rpc).labels[specLabel]).toBe('20f5dbbc18c5db22')
  })

  it('gives a throwaway node a tmpfs for its chain, no volume, no restart policy, and the profile label', async () => {
    const {network, sealer, rpc} = await networkWith('throwaway')
    for (const node of [sealer, rpc]) {
      const spec = containerSpecFor(network, node)
      // Chain data in memory: the tmpfs covers geth's instance directory (chaindata, nodes) only
      expect(spec.tmpfs).toEqual({path: '/data/geth', sizeBytes: throwawayChainBytes})
      expect(spec.volume).toBeUndefined()
      // A crash shows, instead of Docker restarting an empty node
      expect(spec.restartPolicy).toBe('no')
      // Every label of a standard node, and the profile's
      expect(spec.labels).toMatchObject({
        'org.medrec.managed': 'true',
        'org.medrec.network': 'spec-throwaway',
        'org.medrec.network-id': network.state.networkId,
        'org.medrec.role': node.role,
        'org.medrec.node': node.name,
        'org.medrec.profile': 'throwaway',
      })
    }
  })

  it("hashes a throwaway node's tmpfs, so a container without it would be replaced", async () => {
    const {network, sealer} = await networkWith('throwaway')
    const spec = containerSpecFor(network, sealer)
    const hash = (parts: unknown[]) => createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16)
    const withoutMount = [spec.image, spec.cmd, spec.network, spec.publish, spec.restartPolicy, spec.env]
    expect(spec.labels[specLabel]).toBe(hash([...withoutMount, spec.tmpfs]))
    expect(spec.labels[specLabel]).not.toBe(hash(withoutMount))
  })
})

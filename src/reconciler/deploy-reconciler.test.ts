import {describe, expect, it} from 'vitest'

import type {NetworkConfig} from '../config/network-config.js'
import {newNetworkState} from '../workspace/network-state.js'
import {dockerSocketOnHost, reconcilerContainerSpec} from './deploy-reconciler.js'

const config = {profile: 'standard', network: {name: 'acme'}} as NetworkConfig
const state = {...newNetworkState(), networkId: 'net-id-0001'}
const image = {tag: 'medrec/reconciler:0.1.0', imageId: 'sha256:aaa'}

describe("the reconciler's container", () => {
  it('binds the socket DOCKER_HOST names, or the standard one for an engine it reaches over TCP', () => {
    expect(dockerSocketOnHost('unix:///run/user/1000/docker.sock')).toBe('/run/user/1000/docker.sock')
    expect(dockerSocketOnHost(undefined)).toBe('/var/run/docker.sock')
    expect(dockerSocketOnHost('tcp://10.0.0.5:2376')).toBe('/var/run/docker.sock')
  })

  it('is named and labelled like the nodes, restarts unless stopped, publishes nothing, and has its own volume', () => {
    const spec = reconcilerContainerSpec({config, state}, image, '/var/run/docker.sock')
    expect(spec).toMatchObject({
      name: 'medrec-acme_reconciler',
      image: 'medrec/reconciler:0.1.0',
      cmd: ['run'],
      restartPolicy: 'unless-stopped',
      volume: {name: 'medrec-acme_reconciler_data', path: '/var/lib/medrec-reconciler'},
      binds: [{hostPath: '/var/run/docker.sock', containerPath: '/var/run/docker.sock'}],
      labels: {
        'org.medrec.managed': 'true',
        'org.medrec.network': 'acme',
        'org.medrec.network-id': 'net-id-0001',
        'org.medrec.role': 'reconciler',
        'org.medrec.node': 'reconciler',
      },
    })
    expect(spec.network).toBeUndefined()
    expect(spec.publish).toBeUndefined()
  })

  it('changes its spec hash with the image, so up replaces a container of an older image', () => {
    const hash = (imageId: string) =>
      reconcilerContainerSpec({config, state}, {...image, imageId}, '/var/run/docker.sock').labels['org.medrec.spec']
    expect(hash('sha256:aaa')).toBe(hash('sha256:aaa'))
    expect(hash('sha256:bbb')).not.toBe(hash('sha256:aaa'))
  })
})

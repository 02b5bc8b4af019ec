import {describe, expect, it} from 'vitest'
import {privateKeyToAddress} from 'viem/accounts'

import type {ContainerSpec} from '../docker/container-engine.js'
import {encryptKeystoreV3, lightScrypt} from '../keys/keystore-v3.js'
import {enodeUrl, generateNodeKey} from '../keys/node-key.js'
import {
  findMemberSpecProblems,
  memberContainerSpec,
  rpcNodeKeyOf,
  specDigestLabel,
  withSpecDigest,
  type MemberNodeSpec,
} from './member-node-spec.js'

const privateKey = `0x${'11'.repeat(32)}` as const
const address = privateKeyToAddress(privateKey)
const nodeKey = generateNodeKey()
const keystore = JSON.stringify(await encryptKeystoreV3(privateKey, 'pw', lightScrypt))

function spec(overrides: Partial<MemberNodeSpec> = {}): MemberNodeSpec {
  return {
    network: {name: 'acme', chainId: 4_242_001, period: 1, gasLimit: 30_000_000, image: 'ethereum/client-go:v1.13.15'},
    genesisText: '{}',
    member: {name: 'st-anne', address, advertise: {host: '10.0.0.1', port: 30_303}},
    role: 'signer',
    keys: {keystore, password: 'pw', nodeKey},
    peers: [{name: 'riverside', enode: enodeUrl(generateNodeKey(), '10.0.0.2', 30_303)}],
    ...overrides,
  }
}

describe('findMemberSpecProblems', () => {
  it('finds nothing wrong with a sound spec', () => {
    expect(findMemberSpecProblems(spec())).toEqual([])
  })

  it("refuses a keystore that holds another account than the member's", () => {
    const other = privateKeyToAddress(`0x${'22'.repeat(32)}`)
    const problems = findMemberSpecProblems(spec({member: {...spec().member, address: other}}))
    expect(problems).toEqual([`keys.keystore: holds ${address}, not the member's address ${other}`])
  })

  it('refuses a peer with its own node key, the same peer twice, a bad enode and a bad port', () => {
    const peer = {name: 'riverside', enode: enodeUrl(generateNodeKey(), '10.0.0.2', 30_303)}
    const problems = findMemberSpecProblems(
      spec({
        member: {...spec().member, advertise: {host: '10.0.0.1', port: 70_000}},
        peers: [
          {name: 'itself', enode: enodeUrl(nodeKey, '10.0.0.3', 30_303)},
          peer,
          {...peer, name: 'again'},
          {name: 'broken', enode: 'enode://nope@10.0.0.4:30303'},
        ],
      }),
    )
    expect(problems).toEqual([
      'advertise.port: 70000 is not a port',
      "peers.itself: has this member's own node key",
      'peers.again: the same node as another peer',
      'peers.broken: enode://nope@10.0.0.4:30303 is not an enode URL',
    ])
  })
})

describe('rpcNodeKeyOf', () => {
  it("derives a stable RPC node key of its own from the member's node key", () => {
    expect(rpcNodeKeyOf(nodeKey)).toBe(rpcNodeKeyOf(`${nodeKey}\n`))
    expect(rpcNodeKeyOf(nodeKey)).toMatch(/^[0-9a-f]{64}$/)
    expect(rpcNodeKeyOf(nodeKey)).not.toBe(nodeKey)
    expect(rpcNodeKeyOf(nodeKey)).not.toBe(rpcNodeKeyOf(generateNodeKey()))
  })
})

describe('withSpecDigest', () => {
  const base: ContainerSpec = {
    name: 'medrec-acme_st-anne_watchdog',
    image: 'ethereum/client-go:v1.13.15',
    cmd: ['--datadir', '/data'],
    labels: {'org.medrec.role': 'watchdog'},
    restartPolicy: 'unless-stopped',
  }
  const publish = [{containerPort: 30_303, hostIp: '0.0.0.0', hostPort: 30_303, protocol: 'tcp' as const}]

  // The digests running containers carry: a changed value would replace every member's containers on upgrade.
  it.each([
    ['image and command (the watchdog)', {}, '4f498e54ec66c82a'],
    ['image, command and published ports (the RPC node)', {publish}, '1cea900c40109c96'],
    ['image, command, ports and environment (the sealer)', {publish, env: {GETH_X: '1'}}, 'a937e99272d9c61b'],
  ])('labels a spec of %s with the digest it always had', (_what, extra, digest) => {
    const labelled = withSpecDigest({...base, ...extra})
    expect(labelled.labels).toEqual({'org.medrec.role': 'watchdog', [specDigestLabel]: digest})
  })

  it('leaves the network, volume and names out of the digest', () => {
    const moved = withSpecDigest({...base, name: 'other', network: {name: 'n2'}, volume: {name: 'v2', path: '/data'}})
    expect(moved.labels[specDigestLabel]).toBe(withSpecDigest(base).labels[specDigestLabel])
    expect(withSpecDigest({...base, cmd: ['--datadir', '/other']}).labels[specDigestLabel]).not.toBe('4f498e54ec66c82a')
  })
})

describe('memberContainerSpec', () => {
  it("builds a member's container on its image, under its node's name and labels, restarted unless stopped", () => {
    const spec = memberContainerSpec({network: 'acme', member: 'st-anne'}, 'ethereum/client-go:v1.13.15', 'watchdog', {
      cmd: ['--datadir', '/data'],
      volume: 'medrec-acme_st-anne_data',
      stopTimeoutSeconds: 5,
    })
    expect(spec).toStrictEqual({
      name: 'medrec-acme_st-anne_watchdog',
      image: 'ethereum/client-go:v1.13.15',
      cmd: ['--datadir', '/data'],
      labels: {
        'org.medrec.managed': 'true',
        'org.medrec.network': 'acme',
        'org.medrec.member': 'st-anne',
        'org.medrec.role': 'watchdog',
        'org.medrec.node': 'watchdog',
        'org.medrec.spec-digest': '4f498e54ec66c82a',
      },
      volume: {name: 'medrec-acme_st-anne_data', path: '/data'},
      restartPolicy: 'unless-stopped',
      stopTimeoutSeconds: 5,
    })
  })
})

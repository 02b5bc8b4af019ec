import {describe, expect, it} from 'vitest'
import {privateKeyToAddress} from 'viem/accounts'

import {encryptKeystoreV3, lightScrypt} from '../keys/keystore-v3.js'
import {enodeUrl, generateNodeKey} from '../keys/node-key.js'
import {findMemberSpecProblems, rpcNodeKeyOf, type MemberNodeSpec} from './member-node-spec.js'

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

import {mkdtemp, readFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {parseEther, type Address} from 'viem'

import {buildCliqueGenesis} from '../../src/genesis/clique-genesis.js'
import {pinnedGethImage} from '../../src/geth/geth-version.js'
import {enodeUrl} from '../../src/keys/node-key.js'
import type {MemberNodeSpec} from '../../src/member/member-node-spec.js'
import {networkPaths} from '../../src/workspace/network-files.js'
import {ensureNodeKeys} from '../../src/workspace/network-keys.js'

/**
 * Founders of a consortium, each with its own key directory made by the tool's key helpers
 * (light scrypt: a throwaway chain). Until node cards and the consortium bundle land, the
 * genesis and peer lists are built here from what each founder would publish: its signer
 * address and its enode at its advertised address. No directory holds another's keys.
 */
export type TestFounder = {
  name: string
  /** The founder's own key directory (its .medrec/keys/NAME holds its keys only). */
  dir: string
  address: Address
  host: string
  port: number
  enode: string
}

export type TestConsortium = {
  network: MemberNodeSpec['network']
  genesisText: string
  founders: TestFounder[]
}

/** A member with a key directory of its own: a founder, or a provider that joins later. */
export async function makeTestMember(options: {name: string; host: string; port: number}): Promise<TestFounder> {
  const dir = await mkdtemp(join(tmpdir(), `medrec-member-${options.name}-`))
  const paths = networkPaths(dir)
  const {address} = await ensureNodeKeys(paths, options.name, {account: true, lightKdf: true})
  const nodeKey = (await readFile(paths.node(options.name).nodeKey, 'utf8')).trim()
  return {...options, dir, address: address!, enode: enodeUrl(nodeKey, options.host, options.port)}
}

export async function makeTestConsortium(options: {
  name: string
  founders: {name: string; host: string}[]
  period?: number
  port?: number
}): Promise<TestConsortium> {
  const port = options.port ?? 30_303
  const founders: TestFounder[] = []
  for (const founder of options.founders) founders.push(await makeTestMember({...founder, port}))
  // An own chain id, far from the well-known ones.
  const chainId = 4_100_000 + Math.floor(Math.random() * 800_000)
  const network = {
    name: options.name,
    chainId,
    period: options.period ?? 1,
    gasLimit: 30_000_000,
    image: pinnedGethImage,
  }
  const genesis = await buildCliqueGenesis({
    chainId,
    period: network.period,
    epoch: 30_000,
    gasLimit: network.gasLimit,
    signers: founders.map((f) => f.address),
    alloc: Object.fromEntries(founders.map((f) => [f.address, parseEther('1000')])),
  })
  return {network, genesisText: `${JSON.stringify(genesis, null, 2)}\n`, founders}
}

/** One member's node spec, read from its own key directory only; its peers are the others (and the joiners). */
export async function founderSpec(
  consortium: TestConsortium,
  founder: TestFounder,
  extra: Partial<Pick<MemberNodeSpec, 'rpc' | 'role'>> & {joiners?: TestFounder[]} = {},
): Promise<MemberNodeSpec> {
  const files = networkPaths(founder.dir).node(founder.name)
  return {
    network: consortium.network,
    genesisText: consortium.genesisText,
    member: {name: founder.name, address: founder.address, advertise: {host: founder.host, port: founder.port}},
    role: extra.role ?? 'signer',
    keys: {
      keystore: await readFile(files.keystore, 'utf8'),
      password: await readFile(files.password, 'utf8'),
      nodeKey: (await readFile(files.nodeKey, 'utf8')).trim(),
    },
    peers: [...consortium.founders, ...(extra.joiners ?? [])]
      .filter((f) => f.name !== founder.name)
      .map((f) => ({name: f.name, enode: f.enode, address: f.address})),
    ...(extra.rpc ? {rpc: extra.rpc} : {}),
  }
}

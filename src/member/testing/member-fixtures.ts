// Test support: members' keys and cards, and signed bundles built from them, all in memory.
import {randomBytes} from 'node:crypto'

import type {Hex} from 'viem'
import {generatePrivateKey} from 'viem/accounts'

import {pinnedGethImage} from '../../geth/geth-version.js'
import {generateNodeKey} from '../../keys/node-key.js'
import {signBundle, verifyBundle, type ConsortiumBundle, type UnsignedBundle} from '../consortium-bundle.js'
import {buildFoundingBundle} from '../founding-bundle.js'
import {buildNodeCard, type NodeCard} from '../node-card.js'

export type TestMember = {name: string; privateKey: Hex; nodeKey: string; card: NodeCard}

let nextHost = 1

/** A member with fresh keys and a signed card, advertised at its own address. */
export async function newTestMember(
  name: string,
  overrides: {host?: string; port?: number; privateKey?: Hex; nodeKey?: string} = {},
): Promise<TestMember> {
  const privateKey = overrides.privateKey ?? generatePrivateKey()
  const nodeKey = overrides.nodeKey ?? generateNodeKey()
  const card = await buildNodeCard({
    name,
    privateKey,
    nodeKey,
    host: overrides.host ?? `10.231.${Math.floor(nextHost / 250)}.${(nextHost++ % 250) + 1}`,
    port: overrides.port ?? 30_303,
    issuedAt: new Date('2025-01-02T03:04:05.000Z'),
  })
  return {name, privateKey, nodeKey, card}
}

export type TestConsortium = {
  bundle: ConsortiumBundle
  members: TestMember[]
  identityKey: Uint8Array
}

/** A founding bundle (revision 1) of new members with these names, signed by the first (the convener). */
export async function foundTestConsortium(
  names: readonly string[] = ['st-anne', 'st-bart', 'st-clare'],
  network: {name?: string; chainId?: number} = {},
): Promise<TestConsortium> {
  const members = await Promise.all(names.map((name) => newTestMember(name)))
  const identityKey = new Uint8Array(randomBytes(32))
  const unsigned = await buildFoundingBundle({
    network: {
      name: network.name ?? 'carenet',
      chainId: network.chainId ?? 4_242_001,
      period: 5,
      epoch: 30_000,
      gasLimit: 30_000_000,
      image: pinnedGethImage,
    },
    founders: members.map((m) => m.card),
    identityKey,
    exportedBy: members[0]!.card.signer,
    exportedAt: new Date('2025-01-02T04:00:00.000Z'),
  })
  const bundle = await signBundle(unsigned, members[0]!.privateKey)
  return {bundle, members, identityKey}
}

/** A JSON copy of a bundle, as another member reads it from a file, for tests to alter. */
export function bundleJson(bundle: ConsortiumBundle | UnsignedBundle): Record<string, unknown> & ConsortiumBundle {
  return JSON.parse(JSON.stringify(bundle))
}

/** Signs an altered bundle again with `privateKey` (whose address is set as exporter) and verifies it. */
export async function resign(bundle: UnsignedBundle, privateKey: Hex, exportedBy = bundle.exportedBy) {
  const signed = await signBundle({...bundle, exportedBy}, privateKey)
  return verifyBundle(bundleJson(signed), 'the re-signed bundle')
}

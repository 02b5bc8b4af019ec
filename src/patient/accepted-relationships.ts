import {getAddress, type Address, type Hex} from 'viem'

import {registrarAbi} from '../contracts/abi/registrar.js'
import {listRelationships, showRelationship} from '../registrar/read-registrar.js'
import {openRegistrar} from '../registrar/open-registrar.js'

/** What a requester needs to reach one relationship's gatekeeper, and the content hash its pointer commits to. */
export type GatekeeperRoute = {
  relationship: Address
  steward: Hex
  audience: Address
  endpoint: string
  contentHash: Hex
  chainId: number
  registrar: Address
}

/** Every accepted relationship of the participant `account` (a key name or address), with its gatekeeper. */
export async function acceptedRelationships(options: {dir: string; account: string}): Promise<GatekeeperRoute[]> {
  const routes: GatekeeperRoute[] = []
  for (let offset = 0; ; offset += 200) {
    const page = await listRelationships({dir: options.dir, account: options.account, offset, limit: 200})
    for (const entry of page.relationships.filter((r) => r.status === 'accepted'))
      routes.push(await routeTo({dir: options.dir, relationship: entry.relationship}))
    if (offset + 200 >= page.total) break
  }
  return routes
}

/** The gatekeeper of one relationship: its pointer's endpoint and its steward's account. */
export async function routeTo(options: {dir: string; relationship: string}): Promise<GatekeeperRoute> {
  const context = await openRegistrar(options.dir)
  const info = await showRelationship(options)
  const audience = await context.publicClient.readContract({
    address: context.registrar,
    abi: registrarAbi,
    functionName: 'accountOf',
    args: [info.steward],
  })
  return {
    relationship: info.relationship,
    steward: info.steward,
    audience: getAddress(audience),
    endpoint: info.pointer.endpoint,
    contentHash: info.pointer.contentHash,
    chainId: context.chain.id,
    registrar: context.registrar,
  }
}

import type {Address} from 'viem'

import type {ContainerEngine} from '../docker/container-engine.js'
import {gethIpcEval} from '../geth/geth-ipc.js'

// Proposals live in one sealer's memory only (a restart forgets them), hence over its IPC.
// Addresses reach the console expression only as viem Address values (validated before).

/** One sealer's in-memory proposals (clique.proposals), by lowercase address. */
export async function sealerProposals(
  engine: ContainerEngine,
  containerId: string,
  name: string,
): Promise<Record<string, boolean>> {
  const proposals = await gethIpcEval<Record<string, boolean>>(engine, containerId, name, 'clique.proposals')
  return Object.fromEntries(Object.entries(proposals ?? {}).map(([a, v]) => [a.toLowerCase(), v]))
}

/** Casts one sealer's vote to add (`authorize`) or remove `address` (clique.propose). */
export async function proposeOnSealer(
  engine: ContainerEngine,
  containerId: string,
  name: string,
  address: Address,
  authorize: boolean,
): Promise<void> {
  await gethIpcEval(engine, containerId, name, `clique.propose("${address}", ${authorize})`)
}

/** Drops one sealer's proposal about `address` (clique.discard). */
export async function discardOnSealer(
  engine: ContainerEngine,
  containerId: string,
  name: string,
  address: Address,
): Promise<void> {
  await gethIpcEval(engine, containerId, name, `clique.discard("${address}")`)
}

/** Drops one sealer's proposal about `address` if it holds one; returns whether it did. */
export async function discardHeldProposal(
  engine: ContainerEngine,
  containerId: string,
  name: string,
  address: Address,
): Promise<boolean> {
  const held = address.toLowerCase() in (await sealerProposals(engine, containerId, name))
  if (held) await discardOnSealer(engine, containerId, name, address)
  return held
}

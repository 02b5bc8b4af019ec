import {getAddress, isAddress, type Address} from 'viem'

import {callJsonRpc} from '../chain/json-rpc.js'
import {labelKeys, type ContainerEngine, type ContainerInfo} from '../docker/container-engine.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {gethIpcEval} from '../geth/geth-ipc.js'
import {loadNetwork, rpcUrlOf, type LoadedNetwork} from '../workspace/load-network.js'
import {findNetworkResources} from '../workspace/network-resources.js'
import {writeNetworkState} from '../workspace/network-state.js'

/** Clique's threshold: a change passes with more than half of the current signers' votes. */
export function cliqueVotesNeeded(signerCount: number): number {
  return Math.floor(signerCount / 2) + 1
}

/** The running sealer containers of a network, by sealer name. */
export async function runningSealers(
  engine: ContainerEngine,
  network: LoadedNetwork,
): Promise<Map<string, ContainerInfo>> {
  const {containers} = await findNetworkResources(engine, network.state.networkId)
  const running = new Map<string, ContainerInfo>()
  for (const c of containers) {
    if (c.labels[labelKeys.role] === 'sealer' && c.state === 'running') running.set(c.labels[labelKeys.node]!, c)
  }
  return running
}

/** The current Clique signers, from the RPC node. */
export async function currentSigners(network: LoadedNetwork): Promise<Address[]> {
  return (await callJsonRpc<string[]>(rpcUrlOf(network.config), 'clique_getSigners', ['latest'])).map((s) =>
    getAddress(s),
  )
}

/** One sealer's in-memory proposals (clique.proposals over IPC), by lowercase address. */
export async function sealerProposals(
  engine: ContainerEngine,
  container: ContainerInfo,
  name: string,
): Promise<Record<string, boolean>> {
  const proposals = await gethIpcEval<Record<string, boolean>>(engine, container.id, name, 'clique.proposals')
  return Object.fromEntries(Object.entries(proposals ?? {}).map(([a, v]) => [a.toLowerCase(), v]))
}

async function castVote(
  engine: ContainerEngine,
  container: ContainerInfo,
  name: string,
  address: Address,
  authorize: boolean,
): Promise<void> {
  // Addresses are validated (isAddress) before they reach the console expression.
  await gethIpcEval(engine, container.id, name, `clique.propose("${address}", ${authorize})`)
}

function parseTarget(address: string): Address {
  if (!isAddress(address, {strict: false})) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `"${address}" is not an address.`, {
      hint: 'Give the 0x address of the signer to add or remove.',
    })
  }
  return getAddress(address)
}

export type VoteReport = {
  address: Address
  authorize: boolean
  /** Sealers that cast it (now or before); only their votes count while they are signers. */
  castBy: string[]
  /** Sealers meant to vote that are not running: they vote once `up` restarts them. */
  notRunning: string[]
  signers: Address[]
  votesNeeded: number
  /** The signer set already reflects this vote. */
  passed: boolean
}

/**
 * Casts a Clique vote from sealers (all by default) over IPC and records the intent, so
 * the tool can re-issue it after a sealer restart wipes geth's in-memory proposals.
 */
export async function proposeSealerVote(options: {
  dir: string
  engine: ContainerEngine
  address: string
  authorize: boolean
  from?: string[]
}): Promise<VoteReport> {
  const address = parseTarget(options.address)
  const network = await loadNetwork(options.dir)
  const names = network.config.sealers.map((s) => s.name)
  const from = options.from && options.from.length > 0 ? options.from : names
  const unknown = from.filter((n) => !names.includes(n))
  if (unknown.length > 0) {
    throw new MedrecError(errorCodes.NODE_NOT_FOUND, `No sealer named ${unknown.join(', ')} in this network.`, {
      hint: `Sealers: ${names.join(', ')}.`,
    })
  }
  await options.engine.ping()
  const signers = await currentSigners(network)
  const isSigner = signers.some((s) => s === address)
  if (isSigner === options.authorize) {
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      `${address} is ${isSigner ? 'already' : 'not'} a signer; there is nothing to vote on.`,
      {
        hint: options.authorize ? 'To remove it, use --remove.' : 'To add it, use --add.',
      },
    )
  }
  const running = await runningSealers(options.engine, network)
  const key = address.toLowerCase()
  const previous = network.state.votes[key]
  const castBy = [...new Set([...(previous?.authorize === options.authorize ? previous.sealers : []), ...from])].sort()
  network.state.votes[key] = {authorize: options.authorize, sealers: castBy, proposedAt: new Date().toISOString()}
  // Intent first: if a vote cannot be cast now, the next `up` or `sealer list` casts it.
  await writeNetworkState(network.paths, network.state)
  for (const name of from) {
    const container = running.get(name)
    if (container) await castVote(options.engine, container, name, address, options.authorize)
  }
  return {
    address,
    authorize: options.authorize,
    castBy,
    notRunning: castBy.filter((n) => !running.has(n)),
    signers,
    votesNeeded: cliqueVotesNeeded(signers.length),
    passed: false,
  }
}

/** Withdraws a vote everywhere (clique.discard on every running sealer) and forgets the intent. */
export async function discardSealerVote(options: {
  dir: string
  engine: ContainerEngine
  address: string
}): Promise<{address: Address; discardedOn: string[]; hadIntent: boolean}> {
  const address = parseTarget(options.address)
  const network = await loadNetwork(options.dir)
  await options.engine.ping()
  const hadIntent = network.state.votes[address.toLowerCase()] !== undefined
  delete network.state.votes[address.toLowerCase()]
  await writeNetworkState(network.paths, network.state)
  const running = await runningSealers(options.engine, network)
  for (const [name, container] of running)
    await gethIpcEval(options.engine, container.id, name, `clique.discard("${address}")`)
  return {address, discardedOn: [...running.keys()].sort(), hadIntent}
}

export type ReconcileReport = {
  /** Votes whose change the signer set now shows: forgotten and discarded on the sealers. */
  passed: Address[]
  /** Votes cast again on sealers that had lost them (a restart forgets proposals). */
  reissued: {address: Address; sealers: string[]}[]
}

/**
 * Brings every running sealer's proposals in line with the recorded intents: re-casts
 * lost votes, and forgets (and discards) votes whose change has passed.
 */
export async function reconcileSealerVotes(engine: ContainerEngine, network: LoadedNetwork): Promise<ReconcileReport> {
  const report: ReconcileReport = {passed: [], reissued: []}
  const intents = Object.entries(network.state.votes)
  if (intents.length === 0) return report
  const signers = new Set((await currentSigners(network)).map((s) => s.toLowerCase()))
  const running = await runningSealers(engine, network)
  const proposals = new Map<string, Record<string, boolean>>()
  for (const [name, container] of running) proposals.set(name, await sealerProposals(engine, container, name))
  for (const [key, intent] of intents) {
    const address = getAddress(key)
    if (signers.has(key) === intent.authorize) {
      report.passed.push(address)
      delete network.state.votes[key]
      for (const [name, container] of running)
        if (key in proposals.get(name)!) await gethIpcEval(engine, container.id, name, `clique.discard("${address}")`)
      continue
    }
    const lost = intent.sealers.filter((name) => running.has(name) && proposals.get(name)![key] !== intent.authorize)
    for (const name of lost) await castVote(engine, running.get(name)!, name, address, intent.authorize)
    if (lost.length > 0) report.reissued.push({address, sealers: lost})
  }
  if (report.passed.length > 0) await writeNetworkState(network.paths, network.state)
  return report
}

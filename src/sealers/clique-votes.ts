import {getAddress, isAddress, type Address} from 'viem'

import {discardHeldProposal, discardOnSealer, proposeOnSealer} from '../clique/clique-proposals.js'
import {runningSealers} from '../clique/running-sealers.js'
import {currentSigners} from '../clique/signers-at.js'
import {cliqueVotesNeeded} from '../clique/votes-needed.js'
import type {ContainerEngine} from '../docker/container-engine.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {loadNetwork} from '../workspace/load-network.js'
import {saveRecordedVotes} from '../workspace/save-recorded-votes.js'

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
  const proposedAt = new Date().toISOString()
  // Intent first: if a vote cannot be cast now, the reconciler (or the next `up`) casts it. The
  // sealers that cast it before are those state.json records now, not when this command loaded it.
  await saveRecordedVotes(options.engine, network, (votes) => {
    const previous = votes[key]
    const sealers = [...new Set([...(previous?.authorize === options.authorize ? previous.sealers : []), ...from])]
    return {[key]: {authorize: options.authorize, sealers: sealers.sort(), proposedAt}}
  })
  const castBy = network.state.votes[key]!.sealers
  for (const name of from) {
    const container = running.get(name)
    if (container) await proposeOnSealer(options.engine, container.id, name, address, options.authorize)
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
  const key = address.toLowerCase()
  let hadIntent = false
  // Forgotten before it is withdrawn, so the reconciler does not cast it again afterwards.
  await saveRecordedVotes(options.engine, network, (votes) => {
    hadIntent = votes[key] !== undefined
    return {[key]: undefined}
  })
  const running = await runningSealers(options.engine, network)
  for (const [name, container] of running) await discardOnSealer(options.engine, container.id, name, address)
  return {address, discardedOn: [...running.keys()].sort(), hadIntent}
}

/**
 * Withdraws one sealer's vote on `address`: it leaves the recorded intent (so neither the
 * reconciler nor `up` casts it again), then its running sealer's memory (clique.discard). The
 * other sealers' votes stay. Returns whether the sealer had a vote there to withdraw.
 */
export async function withdrawOneSealerVote(options: {
  dir: string
  engine: ContainerEngine
  address: Address
  sealer: string
}): Promise<{discarded: boolean}> {
  const network = await loadNetwork(options.dir)
  const key = options.address.toLowerCase()
  let recorded = false
  await saveRecordedVotes(options.engine, network, (votes) => {
    const vote = votes[key]
    recorded = vote?.sealers.includes(options.sealer) ?? false
    if (!vote || !recorded) return {}
    const sealers = vote.sealers.filter((s) => s !== options.sealer)
    return {[key]: sealers.length > 0 ? {...vote, sealers} : undefined}
  })
  const container = (await runningSealers(options.engine, network)).get(options.sealer)
  const held = container
    ? await discardHeldProposal(options.engine, container.id, options.sealer, options.address)
    : false
  return {discarded: recorded || held}
}

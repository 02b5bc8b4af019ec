import {getAddress, type Address} from 'viem'

import type {ContainerEngine} from '../docker/container-engine.js'
import type {LoadedNetwork} from '../workspace/load-network.js'
import {writeNetworkState} from '../workspace/network-state.js'
import {discardOnSealer, proposeOnSealer, sealerProposals} from './clique-proposals.js'
import {runningSealers} from './running-sealers.js'
import {currentSigners} from './signers-at.js'

export type ReconcileReport = {
  /** Votes whose change the signer set now shows: forgotten and discarded on the sealers. */
  passed: Address[]
  /** Votes cast again on sealers that had lost them (a restart forgets proposals). */
  reissued: {address: Address; sealers: string[]}[]
}

/**
 * Brings every running sealer's proposals in line with the recorded intents (state.json):
 * re-casts lost votes, and forgets (and discards) votes whose change has passed.
 */
export async function reconcileSealerVotes(engine: ContainerEngine, network: LoadedNetwork): Promise<ReconcileReport> {
  const report: ReconcileReport = {passed: [], reissued: []}
  const intents = Object.entries(network.state.votes)
  if (intents.length === 0) return report
  const signers = new Set((await currentSigners(network)).map((s) => s.toLowerCase()))
  const running = await runningSealers(engine, network)
  const proposals = new Map<string, Record<string, boolean>>()
  for (const [name, container] of running) proposals.set(name, await sealerProposals(engine, container.id, name))
  for (const [key, intent] of intents) {
    const address = getAddress(key)
    if (signers.has(key) === intent.authorize) {
      report.passed.push(address)
      delete network.state.votes[key]
      for (const [name, container] of running) {
        if (key in proposals.get(name)!) await discardOnSealer(engine, container.id, name, address)
      }
      continue
    }
    const lost = intent.sealers.filter((name) => running.has(name) && proposals.get(name)![key] !== intent.authorize)
    for (const name of lost) await proposeOnSealer(engine, running.get(name)!.id, name, address, intent.authorize)
    if (lost.length > 0) report.reissued.push({address, sealers: lost})
  }
  if (report.passed.length > 0) await writeNetworkState(network.paths, network.state)
  return report
}

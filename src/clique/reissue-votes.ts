import {getAddress, type Address} from 'viem'

import type {ContainerEngine} from '../docker/container-engine.js'
import type {LoadedNetwork} from '../workspace/load-network.js'
import {saveRecordedVotes} from '../workspace/save-recorded-votes.js'
import {signerSetOf, votePassed} from './plan-vote-reconcile.js'
import {reconcileVotesOnSealers} from './reconcile-votes-on-sealers.js'
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
  if (Object.keys(network.state.votes).length === 0) return {passed: [], reissued: []}
  const signers = await currentSigners(network)
  const running = await runningSealers(engine, network)
  const outcome = await reconcileVotesOnSealers({
    engine,
    intents: {...network.state.votes},
    signers,
    sealers: new Map([...running].map(([name, container]) => [name, container.id])),
    // Forgotten (and the reconciler told) before they are discarded on the sealers; only a vote
    // whose change the signer set still shows: one recorded the other way meanwhile stays.
    beforeApply: async (plan) => {
      if (plan.passed.length === 0) return
      const signerSet = signerSetOf(signers)
      await saveRecordedVotes(engine, network, (votes) =>
        Object.fromEntries(
          plan.passed
            .filter(
              ({address}) => votes[address] !== undefined && votePassed(signerSet, address, votes[address].authorize),
            )
            .map(({address}) => [address, undefined]),
        ),
      )
    },
  })
  // A sealer that runs but cannot be asked is an error here, as before: the caller waited for it.
  if (outcome.failed.length > 0) throw outcome.failed[0]!.error
  return {
    passed: outcome.passed.map((a) => getAddress(a)),
    reissued: outcome.reissued.map((r) => ({address: getAddress(r.address), sealers: r.sealers})),
  }
}

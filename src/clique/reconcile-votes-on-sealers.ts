import type {Address} from 'viem'

import type {ContainerEngine} from '../docker/container-engine.js'
import {discardOnSealer, proposeOnSealer, sealerProposals} from './clique-proposals.js'
import {planVoteReconcile, type VoteIntent, type VoteReconcilePlan} from './plan-vote-reconcile.js'

export type VotesOnSealersReport = {
  /** Lowercase addresses whose change the signer set shows (discarded where a sealer still held them). */
  passed: string[]
  /** Votes cast again, with the sealers that had lost them. */
  reissued: {address: string; authorize: boolean; sealers: string[]}[]
  /** Sealers that could not be asked or told (IPC failed): nothing is known or done there. */
  failed: {sealer: string; error: unknown}[]
}

/**
 * Reads each sealer's proposals over IPC, plans (planVoteReconcile) and applies the plan:
 * re-casts the votes a sealer lost and discards those that passed. A sealer whose IPC fails
 * is reported, and the others are still brought in line.
 */
export async function reconcileVotesOnSealers(options: {
  engine: ContainerEngine
  intents: Readonly<Record<string, VoteIntent>>
  signers: readonly string[]
  /** The sealers to act on: name → container id (running ones). */
  sealers: ReadonlyMap<string, string>
  /**
   * Called with the plan before anything is cast or discarded: the tool forgets passed votes
   * here, so that a reconciler reading the recorded votes meanwhile never casts them again.
   */
  beforeApply?: (plan: VoteReconcilePlan) => Promise<void>
}): Promise<VotesOnSealersReport> {
  const {engine, sealers} = options
  const report: VotesOnSealersReport = {passed: [], reissued: [], failed: []}
  if (Object.keys(options.intents).length === 0) return report
  const proposals = new Map<string, Record<string, boolean>>()
  await Promise.all(
    [...sealers].map(async ([name, id]) => {
      try {
        proposals.set(name, await sealerProposals(engine, id, name))
      } catch (error) {
        report.failed.push({sealer: name, error})
      }
    }),
  )
  const plan = planVoteReconcile({intents: options.intents, signers: options.signers, proposals})
  await options.beforeApply?.(plan)
  const act = async (name: string, action: (id: string) => Promise<void>): Promise<boolean> => {
    try {
      await action(sealers.get(name)!)
      return true
    } catch (error) {
      report.failed.push({sealer: name, error})
      return false
    }
  }
  for (const {address, discardOn} of plan.passed) {
    report.passed.push(address)
    for (const name of discardOn) await act(name, (id) => discardOnSealer(engine, id, name, address as Address))
  }
  for (const {address, authorize, sealers: lost} of plan.reissue) {
    const done: string[] = []
    for (const name of lost) {
      if (await act(name, (id) => proposeOnSealer(engine, id, name, address as Address, authorize))) done.push(name)
    }
    if (done.length > 0) report.reissued.push({address, authorize, sealers: done})
  }
  return report
}

import {getAddress, type Hash, type Hex} from 'viem'

import type {ContainerEngine} from '../docker/container-engine.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {runStep, silentProgress, type ProgressListener} from '../progress/progress-events.js'
import {currentSigners} from '../clique/signers-at.js'
import {removeSealer} from '../sealers/sealer-membership.js'
import {openConsortium, type ConsortiumContext} from './consortium-contracts.js'
import {castVotes, localMembers, pickVoters, sendVote} from './consortium-votes.js'
import type {ProviderChangeResult} from './provider-change-result.js'
import {providerIdentity} from './provider-identity.js'

export type RemoveProviderParameters = {
  dir: string
  engine: ContainerEngine
  /** The provider to take off the whitelist (and out of the signers, if it seals). */
  name: string
  /** Vote only as these sealing providers (default: every one whose key is here). */
  voteAs?: string[]
  timeoutMs?: number
  progress?: ProgressListener
}

export type RemoveProviderReturnType = ProviderChangeResult

/** One member's vote to remove provider `name` (identity `id`), signed with its own key. */
export function voteRemoveAs(context: ConsortiumContext, voter: string, id: Hex, name: string): Promise<Hash> {
  return sendVote(context, voter, `remove ${name}`, (consortium) => consortium.write.voteRemove([id]))
}

/**
 * Removes a provider: the sealing providers' on-chain votes to take it off the whitelist
 * (and out of the members) and, if it seals, their Clique votes, after which its node is
 * stopped and removed (see removeSealer).
 */
export async function removeProvider(options: RemoveProviderParameters): Promise<RemoveProviderReturnType> {
  const progress = options.progress ?? silentProgress
  const started = Date.now()
  const context = await openConsortium(options.dir)
  const {consortium, registrar} = context.contracts
  const id = providerIdentity(options.name)
  const participant = await registrar.read.participant([id])
  const account = getAddress(participant.account)
  const member = await consortium.read.isMember([id])
  if (participant.kind !== 2 || (!participant.certified && !member)) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${options.name} is not a provider on the whitelist.`, {
      hint: 'See `medrec provider list`.',
    })
  }
  const sealerEntry = context.network.config.sealers.find((s) => s.name === options.name)
  if (sealerEntry) await options.engine.ping()
  // The provider itself votes last: the others decide, as with Clique.
  const members = await localMembers(context)
  const voters = pickVoters(
    [...members.filter((m) => m.name !== options.name), ...members.filter((m) => m.name === options.name)],
    options.voteAs,
    'Sealing providers with keys here',
  )
  const whitelist = await runStep(
    progress,
    'whitelist',
    `Voting ${options.name} off the whitelist`,
    () =>
      castVotes(
        context,
        voters,
        () => consortium.read.removeKey([id]),
        async () => !(await registrar.read.participant([id])).certified,
        (voter) => voteRemoveAs(context, voter, id, options.name),
      ),
    (t) => `${t.votes} of ${t.threshold} votes${t.passed ? ', removed' : ''}`,
  )

  const result = (status: ProviderChangeResult['status'], clique: ProviderChangeResult['clique']) => ({
    action: 'remove' as const,
    name: options.name,
    id,
    account,
    sealer: sealerEntry !== undefined,
    status,
    whitelist,
    clique,
    fundingTx: null,
    timings: {totalMs: Date.now() - started, firstSealMs: null},
  })
  if (!sealerEntry) return result(whitelist.passed ? 'done' : 'awaiting-votes', null)

  const signers = await currentSigners(context.network)
  const signerVoters = voters.filter(
    (v) =>
      v.name !== options.name &&
      context.network.config.sealers.some((s) => s.name === v.name && signers.includes(getAddress(s.address))),
  )
  const removed = await removeSealer({
    dir: options.dir,
    engine: options.engine,
    name: options.name,
    timeoutMs: Math.max(1000, (options.timeoutMs ?? 180_000) - (Date.now() - started)),
    votesFrom: signerVoters.map((v) => v.name),
    progress,
  })
  const clique = {votesFrom: removed.votesFrom, votesNeeded: removed.votesNeeded, firstSealedBlock: null}
  if (removed.status !== 'removed') return result('awaiting-votes', clique)
  return result(whitelist.passed ? 'done' : 'awaiting-votes', clique)
}

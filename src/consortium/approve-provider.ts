import {getAddress, type Address, type Hex} from 'viem'

import {currentSigners} from '../clique/signers-at.js'
import {cliqueVotesNeeded} from '../clique/votes-needed.js'
import type {ContainerEngine} from '../docker/container-engine.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {loadNetwork} from '../workspace/load-network.js'
import {runStep, silentProgress, type ProgressListener} from '../progress/progress-events.js'
import {proposeSealerVote} from '../sealers/clique-votes.js'
import {awaitSignerAndFirstSeal, removeSealer} from '../sealers/sealer-membership.js'
import {voteAdmitAs} from './add-provider.js'
import {openConsortium, type ConsortiumContext} from './consortium-contracts.js'
import {castVotes, localMembers, newestProviderVote, pickVoters, proposalActionNumber} from './consortium-votes.js'
import type {ProviderChangeResult} from './provider-change-result.js'
import {providerIdentity} from './provider-identity.js'
import {voteRemoveAs} from './remove-provider.js'

export type ApproveProviderParameters = {
  dir: string
  engine: ContainerEngine
  /** The provider the open proposal is about. */
  name: string
  /** The sealing provider (whose key is here) that votes. */
  as: string
  timeoutMs?: number
  progress?: ProgressListener
}

export type ApproveProviderReturnType = ProviderChangeResult

/** The open proposal about a provider: the newest admission or removal vote cast on it. */
async function openProposal(
  context: ConsortiumContext,
  id: Hex,
): Promise<{action: 'admit' | 'remove'; account: Address; sealer: boolean} | undefined> {
  const last = (await newestProviderVote(context.contracts.consortium, {subject: id}))?.args
  if (!last) return undefined
  if (last.action === proposalActionNumber('admit'))
    return {action: 'admit', account: getAddress(last.account!), sealer: last.sealer!}
  return {action: 'remove', account: getAddress(last.account!), sealer: false}
}

/**
 * One sealing provider (`as`, whose key is here) approves the open proposal about
 * provider `name`: its on-chain vote and, for a sealer, its Clique vote. When that
 * completes both, waits until the new sealer has sealed a block (or the removed one has
 * left and its node is gone).
 */
export async function approveProvider(options: ApproveProviderParameters): Promise<ApproveProviderReturnType> {
  const progress = options.progress ?? silentProgress
  const started = Date.now()
  const deadline = started + (options.timeoutMs ?? 180_000)
  const context = await openConsortium(options.dir)
  const {consortium, registrar} = context.contracts
  const [voter] = pickVoters(await localMembers(context), [options.as], 'Sealing providers with keys here')
  const id = providerIdentity(options.name)
  const proposal = await openProposal(context, id)
  if (!proposal) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `Nobody has proposed a change to provider ${options.name}.`, {
      hint: 'Start with `medrec provider add NAME` or `medrec provider remove NAME`.',
    })
  }
  const removal = proposal.action === 'remove'
  const participant = await registrar.read.participant([id])
  const account = removal ? getAddress(participant.account) : proposal.account
  const sealerEntry = context.network.config.sealers.find((s) => s.address.toLowerCase() === account.toLowerCase())
  const isSealer = removal
    ? sealerEntry !== undefined || (await currentSigners(context.network)).includes(account)
    : proposal.sealer

  const whitelist = await runStep(
    progress,
    'whitelist',
    `${voter!.name} votes to ${proposal.action} ${options.name}`,
    () =>
      castVotes(
        context,
        [voter!],
        () => (removal ? consortium.read.removeKey([id]) : consortium.read.admitKey([id, account, proposal.sealer])),
        async () => {
          const p = await registrar.read.participant([id])
          return removal ? !p.certified : p.certified
        },
        (v) =>
          removal
            ? voteRemoveAs(context, v, id, options.name)
            : voteAdmitAs(context, v, {id, account, sealer: proposal.sealer, name: options.name}),
      ),
    (t) => `${t.votes} of ${t.threshold} votes${t.passed ? ', passed' : ''}`,
  )

  let clique: ProviderChangeResult['clique'] = null
  let firstSealMs: number | null = null
  if (isSealer && context.network.config.sealers.some((s) => s.name === voter!.name)) {
    const signers = await currentSigners(context.network)
    const votesNeeded = cliqueVotesNeeded(signers.length)
    const report = await runStep(progress, 'clique', `${voter!.name} casts its Clique vote`, () =>
      proposeSealerVote({
        dir: options.dir,
        engine: options.engine,
        address: account,
        authorize: !removal,
        from: [voter!.name],
      }),
    )
    const network = await loadNetwork(options.dir)
    const intended = network.state.votes[account.toLowerCase()]?.sealers ?? report.castBy
    clique = {votesFrom: intended, votesNeeded, firstSealedBlock: null}
    if (whitelist.passed && intended.length >= votesNeeded) {
      if (removal && sealerEntry) {
        await removeSealer({
          dir: options.dir,
          engine: options.engine,
          name: sealerEntry.name,
          timeoutMs: Math.max(1000, deadline - Date.now()),
          votesFrom: intended,
          progress,
        })
      } else if (!removal) {
        const joined = await awaitSignerAndFirstSeal({
          dir: options.dir,
          engine: options.engine,
          name: options.name,
          address: account,
          deadline,
          progress,
        })
        clique.firstSealedBlock = joined.firstSealedBlock
        firstSealMs = Date.now() - started
      }
    }
  }
  const cliqueDone =
    clique === null ||
    (removal ? !(await currentSigners(context.network)).includes(account) : clique.firstSealedBlock !== null)
  return {
    action: proposal.action,
    name: options.name,
    id,
    account,
    sealer: isSealer,
    status: whitelist.passed && cliqueDone ? 'done' : 'awaiting-votes',
    whitelist,
    clique,
    fundingTx: null,
    timings: {totalMs: Date.now() - started, firstSealMs},
  }
}

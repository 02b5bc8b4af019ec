import type {Address, Hash} from 'viem'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import type {OneKeyWithdrawal} from './member-provider-vote.js'

/** What `provider withdraw` reports, in either kind of workspace: what was taken back, on chain and in Clique. */
export type ProviderVoteWithdrawal = {
  action: 'admit' | 'remove'
  name: string
  /** The account the proposal names (for a removal, the one registered): the Clique vote's target. */
  account: Address
  /** The sealing provider whose votes were withdrawn. */
  voter: string
  /** transaction and block are null when its on-chain vote no longer counted (nothing was sent). */
  whitelist: {transaction: Hash | null; block: number | null; votes: number; threshold: number}
  /** Whether its sealer had a Clique vote on `account` (recorded, or held in memory) that is now gone. */
  clique: {discarded: boolean}
}

/**
 * What `voter` withdrew: its on-chain `withdrawal` and, as `clique` says, its sealer's vote. With
 * neither (its vote no longer counted, and its sealer had none) it is refused, MEDREC_NOT_VOTED;
 * `voteAgain` is the command that casts it again.
 */
export function withdrawalReport(
  withdrawal: OneKeyWithdrawal,
  voter: string,
  clique: {discarded: boolean},
  voteAgain: string,
): ProviderVoteWithdrawal {
  const {action, name, account, transaction, block, votes, threshold} = withdrawal
  if (transaction === null && !clique.discarded) {
    throw new MedrecError(
      errorCodes.NOT_VOTED,
      `${voter}'s vote to ${action} ${name} no longer counts: it was withdrawn, or it lapsed when the members \
changed. Nothing was sent.`,
      {hint: `To vote on it again: \`${voteAgain}\`.`},
    )
  }
  return {action, name, account, voter, whitelist: {transaction, block, votes, threshold}, clique}
}

/** Human lines for a withdrawal: the tally it left, and the Clique vote. */
export function describeProviderVoteWithdrawal(result: ProviderVoteWithdrawal): string[] {
  const {whitelist} = result
  const proposal = `${result.action} ${result.name} (${result.account})`
  const tally = `${whitelist.votes} of ${whitelist.threshold} votes`
  return [
    whitelist.block === null
      ? `${result.voter}'s vote to ${proposal} no longer counted on chain; nothing was sent (${tally}).`
      : `${result.voter} withdrew its vote to ${proposal} at block ${whitelist.block}: ${tally} left.`,
    result.clique.discarded
      ? `Clique: ${result.voter}'s sealer no longer votes to ${result.action === 'admit' ? 'add' : 'remove'} \
${result.account}.`
      : `Clique: ${result.voter}'s sealer had no vote on ${result.account}.`,
  ]
}

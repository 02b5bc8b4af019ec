import {signerSetOf, votePassed} from '../clique/plan-vote-reconcile.js'
import type {MemberPaths} from './member-files.js'
import {updateMemberState, type MemberState} from './member-state.js'

/** One of this member's own Clique votes, as its watchdog casts it again: address in lowercase. */
export type RecordedVote = {address: string; authorize: boolean}

type RecordedVotes = MemberState['cliqueVotes']

/**
 * The recorded votes after the signer set `signers` was read: those whose change it shows are
 * dropped. A passed vote must not outlive its change: were the others to reverse it later, a
 * vote cast again would undo their decision.
 */
export function recordedVotesAfter(votes: RecordedVotes, signers: readonly string[]): RecordedVotes {
  const current = signerSetOf(signers)
  return Object.fromEntries(Object.entries(votes).filter(([address, v]) => !votePassed(current, address, v.authorize)))
}

/** The recorded votes as a list for the node spec (and the watchdog), in address order. */
export function recordedVoteList(votes: RecordedVotes): RecordedVote[] {
  return Object.entries(votes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([address, v]) => ({address, authorize: v.authorize}))
}

/**
 * Records this member's vote on `address` (replacing an earlier one) before it is cast. Only
 * cliqueVotes changes, on the state as the file holds it now: a vote must not be lost to another
 * command writing member-state.json at the same time, or the watchdog never casts it again.
 */
export async function recordMemberVote(paths: MemberPaths, address: string, authorize: boolean): Promise<void> {
  const vote = {authorize, castAt: new Date().toISOString()}
  await updateMemberState(paths, (state) =>
    state ? {...state, cliqueVotes: {...state.cliqueVotes, [address.toLowerCase()]: vote}} : undefined,
  )
}

/** Drops the recorded votes whose change the signer set `signers` shows. */
export async function pruneMemberVotes(paths: MemberPaths, signers: readonly string[]): Promise<void> {
  await updateMemberState(paths, (state) => {
    if (!state) return undefined
    const cliqueVotes = recordedVotesAfter(state.cliqueVotes, signers)
    if (Object.keys(cliqueVotes).length === Object.keys(state.cliqueVotes).length) return undefined
    return {...state, cliqueVotes}
  })
}

/**
 * Forgets this member's recorded vote on `address`, before it is withdrawn from its sealer: its
 * watchdog must not cast it again. Returns whether there was one.
 */
export async function forgetMemberVote(paths: MemberPaths, address: string): Promise<boolean> {
  const key = address.toLowerCase()
  let recorded = false
  await updateMemberState(paths, (state) => {
    recorded = state?.cliqueVotes[key] !== undefined
    if (!state || !recorded) return undefined
    const {[key]: _forgotten, ...cliqueVotes} = state.cliqueVotes
    return {...state, cliqueVotes}
  })
  return recorded
}

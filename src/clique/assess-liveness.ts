import {cliqueVotesNeeded} from './votes-needed.js'

export type LivenessInput = {
  /** running: every node up; stopped: containers exist, none running; partial: some; not-created: none. */
  networkState: 'running' | 'stopped' | 'partial' | 'not-created'
  /** Size of the current signer set. */
  signerCount: number
  /** Each configured sealer: whether it signs, its container's state, and its peers (null: not asked). */
  sealers: {isSigner: boolean; container: string; peers: number | null}[]
  /** The Clique period in seconds. */
  period: number
  /** Seconds since the head block's timestamp; null when the RPC node did not answer. */
  headAgeSeconds: number | null
  rpcRunning: boolean
  /** The head's number; null when the RPC node did not answer. */
  blockNumber: number | null
}

export type Liveness = {
  signers: number
  /** Signers whose sealer runs and has at least one peer. */
  online: number
  /** floor(N/2)+1: Clique needs this many signers online to keep sealing. */
  needed: number
  stalled: boolean
  reason: string | null
}

/**
 * Whether the chain can keep sealing (EIP-225: one block in any floor(N/2)+1 per signer, so
 * that many signers must be online), and if not, why. Pure: the caller gathers the data.
 */
export function assessLiveness(input: LivenessInput): Liveness {
  const {networkState, signerCount, period, headAgeSeconds} = input
  const needed = cliqueVotesNeeded(signerCount)
  const online = input.sealers.filter((s) => s.isSigner && s.container === 'running' && (s.peers ?? 0) > 0).length
  // A healthy chain's head is at most a couple of periods old; give slow machines slack.
  const stallAfterSeconds = Math.max(3 * period, period + 15)
  let reason: string | null = null
  if (networkState === 'not-created') reason = 'the network has not been created: run `medrec network up`'
  else if (networkState === 'stopped') reason = 'the network is stopped: run `medrec network up`'
  else if (online < needed)
    reason = `only ${online} of ${signerCount} signers are online; Clique needs ${needed} (floor(N/2)+1) to seal`
  else if (headAgeSeconds !== null && headAgeSeconds > stallAfterSeconds)
    reason = `no block for ${headAgeSeconds} s (period ${period} s)`
  else if (input.rpcRunning && input.blockNumber === null) reason = 'the RPC node does not answer'
  const down = networkState === 'not-created' || networkState === 'stopped'
  const stalled = reason !== null && !down && (online < needed || (headAgeSeconds ?? 0) > stallAfterSeconds)
  return {signers: signerCount, online, needed, stalled, reason}
}
